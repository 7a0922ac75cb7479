class AddIsbnToBooks < ActiveRecord::Migration[6.1]
  def change
    add_column :books, :isbn, :text
    # the column of the foreign key that 20240104000000 adds
    add_column :books, :author_id, :bigint
  end
end
