-- forged-removal.lua: forged X-Helpdesk-* headers (any case, several of a
-- name) are removed, by per-name 1-based index from the last one back, and
-- the milter's own are added. Run by run.sh with -D sock=SOCKET.
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
assert(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil, "conninfo")
mt.macro(conn, SMFIC_MAIL, "i", "MT0001")
assert(mt.mailfrom(conn, "<customer@example.net>") == nil, "mailfrom")
assert(mt.rcptto(conn, "<billing@support.example.com>") == nil, "rcptto")
mt.header(conn, "From", "Customer <customer@example.net>")
mt.header(conn, "X-Helpdesk-Ticket", "FORGED-1")
mt.header(conn, "To", "billing@support.example.com")
mt.header(conn, "x-helpdesk-ticket", "FORGED-2")
mt.header(conn, "X-HELPDESK-PRIORITY", "critical; forged")
mt.header(conn, "Subject", "Invoice question")
mt.header(conn, "X-Helpdesk-Ticket", "FORGED-3")
mt.header(conn, "Message-ID", "<mt-forged-1@example.net>")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "I was charged twice for my invoice.\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
assert(mt.getreply(conn) == SMFIR_ACCEPT or mt.getreply(conn) == SMFIR_CONTINUE,
       "expected accept, got " .. tostring(mt.getreply(conn)))
assert(mt.eom_check(conn, MT_HDRDELETE, "X-Helpdesk-Ticket"), "forged ticket not deleted")
assert(mt.eom_check(conn, MT_HDRDELETE, "X-HELPDESK-PRIORITY") or
       mt.eom_check(conn, MT_HDRDELETE, "X-Helpdesk-Priority"), "forged priority not deleted")
assert(mt.eom_check(conn, MT_HDRADD, "X-Helpdesk-Ticket"), "ticket not stamped")
assert(mt.eom_check(conn, MT_HDRADD, "X-Helpdesk-Team", "billing"), "team not stamped")
local t = mt.getheader(conn, "X-Helpdesk-Ticket", 0)
assert(t ~= nil and not string.find(t, "FORGED"), "stamped ticket is the forged one: " .. tostring(t))
mt.echo("ok - forged headers removed and stamped (ticket " .. t .. ")")
mt.disconnect(conn)
