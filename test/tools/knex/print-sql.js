// print-sql.js MIGRATION: print the SQL of a migration whose up() returns a
// schema builder, without a connection, for schemaguard.check() in CI.
const knex = require('knex')({ client: 'pg' });
const migration = require(require('path').resolve(process.argv[2]));
const builder = migration.up(knex);
if (!builder || typeof builder.toString !== 'function' || builder.then === undefined) {
  console.error('up() returns no schema builder: lint its statements another way');
  process.exit(2);
}
console.log(builder.toString() + ';');
