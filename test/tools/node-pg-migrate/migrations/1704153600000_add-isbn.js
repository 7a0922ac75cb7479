exports.up = (pgm) => pgm.addColumn('books', { isbn: { type: 'text' } });
exports.down = (pgm) => pgm.dropColumn('books', 'isbn');
