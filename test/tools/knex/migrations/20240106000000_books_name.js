// Expand/contract rename of title to name, the expand step: add the new
// column and copy the values; the code writes both until the contract step
// drops the old column once no code reads it.
exports.up = async (knex) => {
  await knex.schema.alterTable('books', (t) => t.text('name'));
  await knex.raw('UPDATE books SET name = title WHERE name IS NULL');
};
exports.down = (knex) => knex.schema.alterTable('books', (t) => t.dropColumn('name'));
