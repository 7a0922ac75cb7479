exports.up = (knex) =>
  knex.schema.createTable('books', (t) => {
    t.bigIncrements('id');
    t.text('title').notNullable();
  });
exports.down = (knex) => knex.schema.dropTable('books');
