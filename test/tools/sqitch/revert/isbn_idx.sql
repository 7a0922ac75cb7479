DROP INDEX CONCURRENTLY books_author_id_idx;
DROP INDEX CONCURRENTLY books_isbn_idx;
