-- reject.lua: an agent (SMTP AUTH identity) writes a prohibited phrase: the
-- milter rejects with 550 5.7.1 and the suggestion in the reply text; the
-- same agent from an untrusted address without AUTH is not an agent
-- (SPEC s.3). Run by run.sh with -D sock=SOCKET.
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
assert(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(conn, "remote.example.org", "203.0.113.9") == nil, "conninfo")
mt.macro(conn, SMFIC_MAIL, "i", "MTREJ1", "{auth_authen}", "alice@support.example.com")
assert(mt.mailfrom(conn, "<alice@support.example.com>") == nil, "mailfrom")
assert(mt.rcptto(conn, "<customer@example.net>") == nil, "rcptto")
mt.header(conn, "From", "Alice <alice@support.example.com>")
mt.header(conn, "Subject", "Re: your invoice")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "Hello,\r\n\r\nPlease calm down, 100% of invoices are checked.\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
assert(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code, got " .. tostring(mt.getreply(conn)))
mt.echo("ok - prohibited phrase rejected 550 5.7.1")

-- same sender, no AUTH, untrusted client: not outbound, not rejected for tone
mt.macro(conn, SMFIC_MAIL, "i", "MTREJ2")
assert(mt.mailfrom(conn, "<alice@support.example.com>") == nil, "mailfrom 2")
assert(mt.rcptto(conn, "<customer@example.net>") == nil, "rcptto 2")
mt.header(conn, "Subject", "Re: your invoice")
assert(mt.eoh(conn) == nil, "eoh 2")
assert(mt.bodystring(conn, "Please calm down.\r\n") == nil, "body 2")
assert(mt.eom(conn) == nil, "eom 2")
local r = mt.getreply(conn)
assert(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE,
       "forged agent from an untrusted client was treated as an agent: " .. tostring(r))
assert(not mt.eom_check(conn, MT_HDRADD, "X-Helpdesk-Tone"), "untrusted sender stamped as outbound")
mt.echo("ok - envelope sender from an untrusted client is not an agent")
mt.disconnect(conn)
