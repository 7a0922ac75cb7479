// Expand/contract rename of title to name, the expand step: add the new
// column and copy the values; the code writes both until the contract step
// drops the old column once no code reads it.
exports.up = (pgm) => {
  pgm.addColumn('books', { name: { type: 'text' } });
  pgm.sql('UPDATE books SET name = title WHERE name IS NULL');
};
exports.down = (pgm) => pgm.dropColumn('books', 'name');
