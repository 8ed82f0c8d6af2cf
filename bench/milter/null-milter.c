/*
 * null-milter - the benchmark's floor: a libmilter filter that does no work
 * but add headers at end of message (as many as helpdesk-milter adds to an
 * inbound message: 6 by default), negotiating the same protocol steps
 * as helpdesk-milter (no reply before end of message except DATA, TCP_NODELAY
 * on an inet listener). bench/milter/run compares helpdesk-milter against it
 * so that the cost of libmilter and of Postfix's milter client is told apart
 * from the cost of helpdesk-milter's own work. It must never be installed or
 * used for anything but that measurement.
 *
 * With SYNCFILE it is the floor of a filter that keeps a record of every
 * message on disk before it answers (as helpdesk-milter does): at end of
 * message it appends one 4 KB block to SYNCFILE and fdatasync()s it, and
 * nothing else. That tells the cost of durability on this disk apart from
 * the cost of helpdesk-milter's own work.
 *
 * Usage: null-milter SOCKET [HEADERS [SYNCFILE]]   (unix:/path or
 * inet:PORT@HOST; runs until killed; HEADERS: how many headers to add, 0 to
 * 20, default 6)
 */
#include <libmilter/mfapi.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define NULL_MILTER_FD_SCAN_MAX 64	/* descriptors searched for the listener */
#define NULL_MILTER_HEADERS_MAX 20	/* headers added per message, at most */
#define NULL_MILTER_HEADERS_DEFAULT 6
#define NULL_MILTER_RECORD_SIZE 4096	/* bytes appended per message with SYNCFILE */

static int null_sync_fd = -1;		/* SYNCFILE, or -1 */
static _Atomic long long null_sync_off;	/* where the next record goes */

static int null_headers = NULL_MILTER_HEADERS_DEFAULT;

/* The per-connection state: only which replies the MTA does not wait for. */
static unsigned long null_nr;

/* Negotiate the stages helpdesk-milter negotiates. */
static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			       unsigned long f2, unsigned long f3, unsigned long *pf0,
			       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long nr = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT |
				 SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;

	(void)ctx; (void)f2; (void)f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOUNKNOWN | nr);
	null_nr = f1 & nr;	/* the same for every connection from one MTA */
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* Every stage before end of message: no decision. */
static sfsistat null_continue(unsigned long bit)
{
	return (null_nr & bit) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* Connect. */
static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx; (void)host; (void)sa;
	return null_continue(SMFIP_NR_CONN);
}

/* MAIL FROM. */
static sfsistat null_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx; (void)argv;
	return null_continue(SMFIP_NR_MAIL);
}

/* RCPT TO. */
static sfsistat null_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx; (void)argv;
	return null_continue(SMFIP_NR_RCPT);
}

/* One header. */
static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx; (void)name; (void)value;
	return null_continue(SMFIP_NR_HDR);
}

/* End of headers. */
static sfsistat null_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return null_continue(SMFIP_NR_EOH);
}

/* One body chunk. */
static sfsistat null_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	(void)ctx; (void)data; (void)len;
	return null_continue(SMFIP_NR_BODY);
}

/* Append one record to SYNCFILE and wait until it is on disk; false on error. */
static int null_sync_record(void)
{
	static const char block[NULL_MILTER_RECORD_SIZE];
	long long off = atomic_fetch_add(&null_sync_off, NULL_MILTER_RECORD_SIZE);

	return pwrite(null_sync_fd, block, sizeof(block), (off_t)off) == (ssize_t)sizeof(block) &&
	       fdatasync(null_sync_fd) == 0;
}

/* End of message: keep the record (with SYNCFILE), add the headers, accept. */
static sfsistat null_eom(SMFICTX *ctx)
{
	char name[32];

	if (null_sync_fd >= 0 && !null_sync_record())
		return SMFIS_TEMPFAIL;

	for (int i = 1; i <= null_headers; i++) {
		snprintf(name, sizeof(name), "X-Null-Milter-%d", i);
		smfi_addheader(ctx, name, "a value about as long as helpdesk-milter's");
	}
	return SMFIS_ACCEPT;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "null-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = null_connect,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_eoh = null_eoh,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_negotiate = null_negotiate,
};

/* TCP_NODELAY on the inet listener, as helpdesk-milter does. */
static void null_nodelay(void)
{
	for (int fd = 3; fd < NULL_MILTER_FD_SCAN_MAX; fd++) {
		int listening = 0, one = 1;
		socklen_t ol = sizeof(listening);
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) != 0 ||
		    !listening || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s SOCKET [HEADERS [SYNCFILE]]\n", argv[0]);
		return 2;
	}
	if (argc == 4 && (null_sync_fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
					       0600)) < 0) {
		perror(argv[3]);
		return 1;
	}
	if (argc >= 3) {
		null_headers = atoi(argv[2]);
		if (null_headers < 0 || null_headers > NULL_MILTER_HEADERS_MAX) {
			fprintf(stderr, "null-milter: HEADERS must be 0 to %d\n",
				NULL_MILTER_HEADERS_MAX);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	umask(0);
	if (smfi_register(null_desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	null_nodelay();
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
