// NOT VALID + VALIDATE, step 2: VALIDATE CONSTRAINT scans the table under a
// lock that lets reads and writes go on.
exports.up = async (knex) => {
  await knex.raw('ALTER TABLE books VALIDATE CONSTRAINT books_author_fk');
  await knex.raw('ALTER TABLE books VALIDATE CONSTRAINT books_pages_positive');
};
exports.down = async () => {};
