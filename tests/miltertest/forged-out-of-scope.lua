-- forged-out-of-scope.lua: forged X-Helpdesk-* headers are removed from mail
-- that is out of scope too (SPEC s.4: nobody may forge them), even after
-- 1000 filler headers (beyond limits.headers, so the engine never sees them).
-- Run by run.sh with -D sock=SOCKET.
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
assert(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil, "conninfo")
mt.macro(conn, SMFIC_MAIL, "i", "MTOOS1")
assert(mt.mailfrom(conn, "<someone@example.net>") == nil, "mailfrom")
assert(mt.rcptto(conn, "<friend@elsewhere.example.org>") == nil, "rcptto")
mt.header(conn, "From", "Someone <someone@example.net>")
mt.header(conn, "X-Helpdesk-Priority", "critical; forged early")
for i = 1, 1000 do
	mt.header(conn, "X-Filler-" .. i, "filler")
end
mt.header(conn, "X-Helpdesk-Authority", "approved; forged late")
mt.header(conn, "Subject", "hello")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "Just a note.\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
assert(mt.getreply(conn) == SMFIR_ACCEPT or mt.getreply(conn) == SMFIR_CONTINUE,
       "expected accept, got " .. tostring(mt.getreply(conn)))
assert(mt.eom_check(conn, MT_HDRDELETE, "X-Helpdesk-Priority"), "forged early header kept")
assert(mt.eom_check(conn, MT_HDRDELETE, "X-Helpdesk-Authority"), "forged late header kept")
assert(not mt.eom_check(conn, MT_HDRADD, "X-Helpdesk-Ticket"), "out-of-scope mail stamped")
mt.echo("ok - forged headers removed from out-of-scope mail")
mt.disconnect(conn)
