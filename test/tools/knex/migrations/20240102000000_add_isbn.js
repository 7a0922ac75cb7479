exports.up = (knex) => knex.schema.alterTable('books', (t) => t.text('isbn'));
exports.down = (knex) => knex.schema.alterTable('books', (t) => t.dropColumn('isbn'));
