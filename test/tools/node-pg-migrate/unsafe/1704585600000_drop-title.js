// The contract step as written first: blocked by drop_column while the
// column holds data. Once no code reads title and a copy is kept, allow it
// in the migration's own transaction first:
//   pgm.sql("SET LOCAL schemaguard.allow = 'drop_column'");
exports.up = (pgm) => pgm.dropColumn('books', 'title');
exports.down = (pgm) => pgm.addColumn('books', { title: { type: 'text' } });
