// NOT VALID + VALIDATE, step 1: the constraints are added NOT VALID (a short
// lock, no scan of the table).
exports.up = (pgm) => {
  pgm.createTable('authors', {
    id: { type: 'bigserial', primaryKey: true },
    name: { type: 'text', notNull: true },
  });
  pgm.addColumns('books', { pages: { type: 'integer' } });
  pgm.sql('ALTER TABLE books ADD CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) NOT VALID');
  pgm.sql('ALTER TABLE books ADD CONSTRAINT books_pages_positive CHECK (pages > 0) NOT VALID');
};
exports.down = (pgm) => {
  pgm.dropConstraint('books', 'books_author_fk');
  pgm.dropColumns('books', ['pages']);
  pgm.dropTable('authors');
};
