# migrate.rb [VERSION]: run the ActiveRecord migrations in db/migrate (up to
# VERSION), as `rails db:migrate` does, without a Rails application; with
# --sql VERSION, print the SQL of that migration instead (for check() in CI).
require 'active_record'
require 'stringio'

ActiveRecord::Base.establish_connection(
  adapter: 'postgresql', host: ENV['PGHOST'], port: ENV['PGPORT'],
  database: ENV['PGDATABASE'], username: ENV.fetch('PGUSER', 'migrator')
)
paths = [File.join(__dir__, 'db/migrate')]
context = ActiveRecord::MigrationContext.new(paths, ActiveRecord::SchemaMigration)

if ARGV[0] == '--sql'
  # record the statements of one migration's up without running them
  migration = context.migrations.find { |m| m.version == ARGV[1].to_i }
  sql = []
  conn = ActiveRecord::Base.connection
  conn.define_singleton_method(:execute) { |s, _name = nil| sql << s; nil }
  ActiveRecord::Migration.verbose = false
  migration.send(:migration).exec_migration(conn, :up)
  puts sql.map { |s| s.end_with?(';') ? s : "#{s};" }
else
  context.migrate(ARGV[0] && ARGV[0].to_i)
end
