# Concurrent index: disable_ddl_transaction! runs this migration outside a
# transaction, and algorithm: :concurrently builds the index without
# blocking writes.
class AddIndexOnBooksIsbn < ActiveRecord::Migration[6.1]
  disable_ddl_transaction!

  def change
    add_index :books, :isbn, algorithm: :concurrently
    # the index of the foreign key that 20240104000000 adds, built before the key
    add_index :books, :author_id, algorithm: :concurrently
  end
end
