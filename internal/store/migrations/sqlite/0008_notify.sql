-- PostgreSQL servers are told of directory changes by a trigger that this
-- migration adds there. SQLite has no such notices (and one machine has one
-- server process), so servers on SQLite poll DirectoryVersion instead; this
-- file keeps the two engines' migration lists alike.
SELECT 1;
