exports.up = (pgm) => {
  pgm.createTable('books', {
    id: { type: 'bigserial', primaryKey: true },
    title: { type: 'text', notNull: true },
  });
};
exports.down = (pgm) => pgm.dropTable('books');
