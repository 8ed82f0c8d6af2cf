-- missing-macros.lua: no macros at all (no queue id, no {auth_authen}), an
-- unknown client address family and no HELO: the milter must still decide
-- and answer, never crash. Run by run.sh with -D sock=SOCKET.
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
assert(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(conn, "unknown", "unspec") == nil, "conninfo")
assert(mt.mailfrom(conn, "customer@example.net") == nil, "mailfrom without <>")
assert(mt.rcptto(conn, "<support@support.example.com>") == nil, "rcptto")
mt.header(conn, "Subject", "no macros here")
mt.header(conn, "From", "customer@example.net")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "Hello\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
local r = mt.getreply(conn)
assert(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "expected accept, got " .. tostring(r))
assert(mt.eom_check(conn, MT_HDRADD, "X-Helpdesk-Ticket"), "not stamped without macros")
mt.echo("ok - decided without any macro")

-- a message with no envelope at all (MAIL/RCPT skipped by miltertest's
-- defaults are legal; here we go straight to headers after a new MAIL)
assert(mt.mailfrom(conn, "<>") == nil, "null sender")
assert(mt.rcptto(conn, "<billing@support.example.com>") == nil, "rcptto")
assert(mt.eoh(conn) == nil, "eoh without headers")
assert(mt.eom(conn) == nil, "eom without body")
r = mt.getreply(conn)
assert(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE or r == SMFIR_TEMPFAIL,
       "empty message: unexpected reply " .. tostring(r))
mt.echo("ok - empty message with null sender answered")
mt.disconnect(conn)
