// isbn, and author_id: the column of the foreign key that 20240104 adds
exports.up = (knex) => knex.schema.alterTable('books', (t) => {
  t.text('isbn');
  t.bigInteger('author_id');
});
exports.down = (knex) => knex.schema.alterTable('books', (t) => t.dropColumns('isbn', 'author_id'));
