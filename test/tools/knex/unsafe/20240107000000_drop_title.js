// The contract step as written first: blocked by drop_column while the
// column holds data. Once no code reads title and a copy is kept, allow it
// in the migration's own transaction:
//   await knex.raw("SET LOCAL schemaguard.allow = 'drop_column'");
exports.up = (knex) => knex.schema.alterTable('books', (t) => t.dropColumn('title'));
exports.down = (knex) => knex.schema.alterTable('books', (t) => t.text('title'));
