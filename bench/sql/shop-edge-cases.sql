-- The edge-case table's rows: quotes, backslashes, NUL, ^Z, emoji, FLOAT/DOUBLE extremes, zero dates.
-- Verbatim from gen-shop-db.sh (these are SQL-level escapes).
INSERT INTO edge_case_values (label, s, t, b, vb, j, d, f, dbl, dt, ts, y, tm, e, st, bt, u, s_latin1) VALUES
 ('all-null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 ('empty', '', '', '', '', '{}', 0, 0, 0, '1970-01-01 00:00:01', '1970-01-01 00:00:01', 1901, '00:00:00', NULL, '', b'0', 0, ''),
 ('quotes', 'It''s "double" and `back`', 'O''Reilly\'s \"book\"', 'a''b"c', 'x''y', '{"k":"v \\"q\\""}', 1.5, 1.5, 1.5, '2000-02-29 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155, '838:59:59', 'a', 'x,y', b'101010101', 18446744073709551615, 'Ã©'),
 ('backslash', 'C:\\path\\to\\file \\\\ \\n literal', 'ends with backslash\\', '\\', '\\0', '{"p":"C:\\\\dir"}', -1.000000000000000000000000000001, -3.4028234e38, -1.7976931348623157e308, '1000-01-01 00:00:00', NULL, 1999, '-838:59:59', 'b', 'z', b'1', 1, 'back\\slash'),
 ('newlines', 'line1\nline2\r\nline3\rline4', 'tab\there\nnext\ttab', '\n\r\t', '\r\n', '["a\\nb"]', 99999999999999999999999999999999999.999999999999999999999999999999, 1.17549435e-38, 2.2250738585072014e-308, '9999-12-31 23:59:59.999999', '1999-12-31 23:59:59', 2000, '12:34:56.789012', 'c with space', 'x,y,z', b'111111111', 9223372036854775808, 'line\nbreak'),
 ('control', CONCAT('nul', CHAR(0), 'ctrlz', CHAR(26), 'bell', CHAR(7), 'esc', CHAR(27)), CONCAT(CHAR(0), CHAR(0)), CONCAT(CHAR(0), CHAR(26), CHAR(255), CHAR(39), CHAR(92)), CHAR(0), NULL, 0.000000000000000000000000000001, 0.1, 0.1, NULL, NULL, NULL, NULL, 'ü', 'y', b'0', NULL, CONCAT('a', CHAR(0), 'b')),
 ('unicode', 'Ünïcödé ñ 中文 日本語 한국어 العربية עברית Ελληνικά Русский', 'emoji 😀🚀👍🏽 👨‍👩‍👧 flags 🇩🇪🇵🇱 zwj', 'utf8 bytes ✓', 'ß', '{"emoji":"😀","ü":"ö"}', 12345.6789, 3.14159, 3.141592653589793, '2024-02-29 12:00:00.5', '2024-02-29 12:00:00.5', 2024, '23:59:59.999999', 'ü', 'x', b'100000000', 42, 'Ærøskøbing'),
 ('sql-injection', '''; DROP TABLE edge_case_values; --', '/*!40101 SET @x=1*/; -- comment', 'DELIMITER ;;', NULL, '{"sql":"SELECT * FROM t WHERE a=''b''"}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 ('long', REPEAT('x', 255), REPEAT('Long text line with ümlauts.\n', 2000), REPEAT(CHAR(0xAB), 60000), REPEAT(CHAR(0xFF), 64), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, REPEAT('é', 64)),
 ('whitespace', '  leading and trailing  ', ' ', ' ', ' ', ' [ 1 , 2 ] ', -0.0, -0, -0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '   '),
 ('zero-datetime', 'zero', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0000-00-00 00:00:00', '0000-00-00 00:00:00', 0, '00:00:00', NULL, NULL, NULL, NULL, NULL),
 ('float-edge', 'floats', NULL, NULL, NULL, NULL, 0.1, 16777217, 9007199254740993, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
-- an explicit id 0 row (needs NO_AUTO_VALUE_ON_ZERO on restore)
INSERT INTO edge_case_values (id, label) VALUES (0, 'id-zero');
