// Concurrent index: this migration runs outside a transaction
// (CREATE INDEX CONCURRENTLY cannot run in a transaction block).
exports.config = { transaction: false };
// The index of the foreign key that 20240104 adds is built before the key.
exports.up = async (knex) => {
  await knex.raw('CREATE INDEX CONCURRENTLY IF NOT EXISTS books_isbn_idx ON books (isbn)');
  await knex.raw('CREATE INDEX CONCURRENTLY IF NOT EXISTS books_author_id_idx ON books (author_id)');
};
exports.down = async (knex) => {
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS books_author_id_idx');
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS books_isbn_idx');
};
