# Expand/contract rename of title to name, the expand step: add the new
# column and copy the values; the code writes both until the contract step
# drops the old column once no code reads it (and ignored_columns hides it).
class AddNameToBooks < ActiveRecord::Migration[6.1]
  def up
    add_column :books, :name, :text
    execute 'UPDATE books SET name = title WHERE name IS NULL'
  end

  def down
    remove_column :books, :name
  end
end
