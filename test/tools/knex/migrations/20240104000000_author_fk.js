// NOT VALID + VALIDATE, step 1: add the constraints NOT VALID (a short lock,
// no scan of the table).
exports.up = async (knex) => {
  await knex.schema.createTable('authors', (t) => {
    t.bigIncrements('id');
    t.text('name').notNullable();
  });
  await knex.schema.alterTable('books', (t) => {
    t.integer('pages');
  });
  await knex.raw('ALTER TABLE books ADD CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) NOT VALID');
  await knex.raw('ALTER TABLE books ADD CONSTRAINT books_pages_positive CHECK (pages > 0) NOT VALID');
};
exports.down = async (knex) => {
  await knex.schema.alterTable('books', (t) => {
    t.dropForeign('author_id', 'books_author_fk');
    t.dropColumn('pages');
  });
  await knex.schema.dropTable('authors');
};
