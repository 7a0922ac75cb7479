// Concurrent index: pgm.noTransaction() runs this migration outside a
// transaction (CREATE INDEX CONCURRENTLY cannot run in a transaction block).
exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.createIndex('books', 'isbn', { name: 'books_isbn_idx', concurrently: true, ifNotExists: true });
};
exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.dropIndex('books', 'isbn', { name: 'books_isbn_idx', concurrently: true, ifExists: true });
};
