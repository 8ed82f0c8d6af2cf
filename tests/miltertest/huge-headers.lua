-- huge-headers.lua: a 910-byte header value (miltertest itself overflows a
-- 1 KB buffer past that; the Postfix bad-input test sends 500 KB), 20,000 headers, a header with
-- embedded CR/LF/NUL-free control bytes and a forged X-Helpdesk header at
-- the very end: decided, forged header removed, nothing crashes. Run by
-- run.sh with -D sock=SOCKET.
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
mt.set_timeout(60)
assert(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil, "conninfo")
mt.macro(conn, SMFIC_MAIL, "i", "MTHUGE")
assert(mt.mailfrom(conn, "<customer@example.net>") == nil, "mailfrom")
assert(mt.rcptto(conn, "<billing@support.example.com>") == nil, "rcptto")
mt.header(conn, "Subject", string.rep("outage ", 130))
for i = 1, 20000 do
	mt.header(conn, "X-Filler-" .. i, "value " .. i)
end
mt.header(conn, "X-Folded", "line one\r\n\tline two\r\n\tline three \1\2\127")
mt.header(conn, "X-Helpdesk-Team", "forged-at-the-end")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "body\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
local r = mt.getreply(conn)
assert(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE or r == SMFIR_TEMPFAIL,
       "unexpected reply " .. tostring(r))
if r ~= SMFIR_TEMPFAIL then
	assert(mt.eom_check(conn, MT_HDRDELETE, "X-Helpdesk-Team"), "forged team not removed")
end
mt.echo("ok - huge headers answered (" .. string.char(r) .. ")")
mt.disconnect(conn)
