// knexfile of schemaguard's tools suite (test/tools.sh): the migration role
// over the throwaway cluster's socket. message_details puts schemaguard's
// lock, size and recipe into the primary message, the only part of an
// error that the knex command line prints.
module.exports = {
  client: 'pg',
  connection: {
    host: process.env.PGHOST,
    port: process.env.PGPORT,
    user: process.env.PGUSER || 'migrator',
    database: process.env.PGDATABASE || 'app_knex',
    // PGOPTIONS (e.g. -c schemaguard.migration=...) is kept: options replaces it
    options: `-c schemaguard.message_details=on ${process.env.PGOPTIONS || ''}`,
  },
  migrations: { directory: './migrations' },
};
