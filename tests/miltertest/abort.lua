-- abort.lua: the MTA aborts mid-message (after headers, mid-body); the next
-- message on the same connection is decided on its own, and an abrupt
-- disconnect mid-message is survived. Run by run.sh with -D sock=SOCKET.
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
assert(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil, "conninfo")
mt.macro(conn, SMFIC_MAIL, "i", "MTABORT1")
assert(mt.mailfrom(conn, "<customer@example.net>") == nil, "mailfrom")
assert(mt.rcptto(conn, "<billing@support.example.com>") == nil, "rcptto")
mt.header(conn, "Subject", "first, aborted: lawyer outage")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "half a body about a lawyer\r\n") == nil, "body")
assert(mt.abort(conn) == nil, "abort")

mt.macro(conn, SMFIC_MAIL, "i", "MTABORT2")
assert(mt.mailfrom(conn, "<other@example.net>") == nil, "mailfrom 2")
assert(mt.rcptto(conn, "<billing@support.example.com>") == nil, "rcptto 2")
mt.header(conn, "Subject", "second, a plain question")
mt.header(conn, "Message-ID", "<mt-abort-2@example.net>")
assert(mt.eoh(conn) == nil, "eoh 2")
assert(mt.bodystring(conn, "Where is my invoice?\r\n") == nil, "body 2")
assert(mt.eom(conn) == nil, "eom 2")
local r = mt.getreply(conn)
assert(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "expected accept, got " .. tostring(r))
-- nothing of the aborted message leaks into the second one
assert(not mt.eom_check(conn, MT_RCPTADD, "<erin@support.example.com>") and
       not mt.eom_check(conn, MT_RCPTADD, "<oncall@support.example.com>"),
       "escalation from the aborted message leaked into the next one")
assert(not mt.eom_check(conn, MT_HDRADD, "X-Helpdesk-Escalation"), "escalation leaked")
mt.echo("ok - abort mid-body, next message clean")
mt.disconnect(conn)

-- abrupt disconnect in the middle of a body
local c2 = mt.connect(sock, 20, 0.25)
assert(c2 ~= nil, "reconnect")
assert(mt.negotiate(c2, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(c2, "client.example.net", "192.0.2.11") == nil, "conninfo")
assert(mt.mailfrom(c2, "<customer@example.net>") == nil, "mailfrom")
assert(mt.rcptto(c2, "<billing@support.example.com>") == nil, "rcptto")
mt.header(c2, "Subject", "cut off")
assert(mt.eoh(c2) == nil, "eoh")
assert(mt.bodystring(c2, "and then the line went dead") == nil, "body")
mt.disconnect(c2, false)
mt.echo("ok - abrupt disconnect mid-body")
