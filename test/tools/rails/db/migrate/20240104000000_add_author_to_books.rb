# NOT VALID + VALIDATE, step 1: validate: false adds the foreign key NOT
# VALID (a short lock, no scan of the table).
class AddAuthorToBooks < ActiveRecord::Migration[6.1]
  def change
    create_table :authors do |t|
      t.text :name, null: false
    end
    add_column :books, :pages, :integer
    add_foreign_key :books, :authors, validate: false
    reversible do |dir|
      dir.up { execute 'ALTER TABLE books ADD CONSTRAINT books_pages_positive CHECK (pages > 0) NOT VALID' }
      dir.down { execute 'ALTER TABLE books DROP CONSTRAINT books_pages_positive' }
    end
  end
end
