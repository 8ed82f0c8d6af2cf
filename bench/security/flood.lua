-- flood.lua: one inbound message to helpdesk-milter with n forged
-- X-Helpdesk-<i> headers (mode=names) or n tiny MIME parts (mode=parts).
-- Run by bench/security/run with -D sock=SOCKET -D mode=MODE -D n=N -D q=QID.
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
assert(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil, "conninfo")
mt.macro(conn, SMFIC_MAIL, "i", q)
assert(mt.mailfrom(conn, "<pat@example.net>") == nil, "mailfrom")
assert(mt.rcptto(conn, "<billing@support.example.com>") == nil, "rcptto")
mt.header(conn, "From", "Pat <pat@example.net>")
mt.header(conn, "Subject", "flood")
local n = tonumber(n)
local body
if mode == "names" then
	for i = 1, n - 2 do
		mt.header(conn, "X-Helpdesk-" .. i, "x")
	end
	body = "Hello.\r\n"
else
	mt.header(conn, "MIME-Version", "1.0")
	mt.header(conn, "Content-Type", "multipart/mixed; boundary=\"=b=\"")
	body = string.rep("--=b=\r\nContent-Type: text/plain\r\n\r\nx\r\n", n) .. "--=b=--\r\n"
end
assert(mt.eoh(conn) == nil, "eoh")
local chunk = 65000
for off = 1, #body, chunk do
	assert(mt.bodystring(conn, string.sub(body, off, off + chunk - 1)) == nil, "body")
end
assert(mt.eom(conn) == nil, "eom")
local r = mt.getreply(conn)
assert(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "expected accept, got " .. tostring(r))
mt.disconnect(conn)
