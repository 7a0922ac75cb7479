// isbn, and author_id: the column of the foreign key that 1704326400000 adds
exports.up = (pgm) => pgm.addColumns('books', { isbn: { type: 'text' }, author_id: { type: 'bigint' } });
exports.down = (pgm) => pgm.dropColumns('books', ['isbn', 'author_id']);
