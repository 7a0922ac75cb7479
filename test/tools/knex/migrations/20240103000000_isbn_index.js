// Concurrent index: this migration runs outside a transaction
// (CREATE INDEX CONCURRENTLY cannot run in a transaction block).
exports.config = { transaction: false };
exports.up = (knex) =>
  knex.raw('CREATE INDEX CONCURRENTLY IF NOT EXISTS books_isbn_idx ON books (isbn)');
exports.down = (knex) => knex.raw('DROP INDEX CONCURRENTLY IF EXISTS books_isbn_idx');
