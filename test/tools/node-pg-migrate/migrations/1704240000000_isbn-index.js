// Concurrent index: pgm.noTransaction() runs this migration outside a
// transaction (CREATE INDEX CONCURRENTLY cannot run in a transaction block).
exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.createIndex('books', 'isbn', { name: 'books_isbn_idx', concurrently: true, ifNotExists: true });
  // the index of the foreign key that 1704326400000 adds, built before the key
  pgm.createIndex('books', 'author_id', { name: 'books_author_id_idx', concurrently: true, ifNotExists: true });
};
exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.dropIndex('books', 'author_id', { name: 'books_author_id_idx', concurrently: true, ifExists: true });
  pgm.dropIndex('books', 'isbn', { name: 'books_isbn_idx', concurrently: true, ifExists: true });
};
