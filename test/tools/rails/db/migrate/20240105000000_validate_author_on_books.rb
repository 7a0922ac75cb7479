# NOT VALID + VALIDATE, step 2: validate_foreign_key scans the table under a
# lock that lets reads and writes go on.
class ValidateAuthorOnBooks < ActiveRecord::Migration[6.1]
  def up
    validate_foreign_key :books, :authors
    execute 'ALTER TABLE books VALIDATE CONSTRAINT books_pages_positive'
  end

  def down; end
end
