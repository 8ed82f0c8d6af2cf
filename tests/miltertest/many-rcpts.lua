-- many-rcpts.lua: more envelope recipients than limits.recipients (run.sh
-- sets 100) and very long addresses: the milter caps what it keeps and still
-- decides. Run by run.sh with -D sock=SOCKET.
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
assert(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil, "conninfo")
mt.macro(conn, SMFIC_MAIL, "i", "MTRCPTS")
assert(mt.mailfrom(conn, "<customer@example.net>") == nil, "mailfrom")
assert(mt.rcptto(conn, "<billing@support.example.com>") == nil, "rcptto")
for i = 1, 3000 do
	assert(mt.rcptto(conn, "<user" .. i .. "@example.com>") == nil, "rcptto " .. i)
end
assert(mt.rcptto(conn, "<" .. string.rep("x", 900) .. "@example.com>") == nil, "long rcpt")
mt.header(conn, "Subject", "many recipients")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "Hello all\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
local r = mt.getreply(conn)
assert(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "expected accept, got " .. tostring(r))
assert(mt.eom_check(conn, MT_HDRADD, "X-Helpdesk-Ticket"), "first recipient in scope: stamped")
mt.echo("ok - 3002 recipients, decided on the first " .. "limits.recipients")
mt.disconnect(conn)
