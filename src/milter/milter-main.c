/*
 * milter-main - startup and shutdown of helpdesk-milter: options, the first
 * load of configuration and policy (refusing to start on any error), the
 * libmilter socket and its permissions, daemonizing, the pid file, the
 * privilege drop, the signal thread, and the drain of connections at exit.
 *
 * Signals are handled by one dedicated thread (sigwaitinfo): SIGHUP
 * reloads, SIGTERM/SIGINT stop, SIGCHLD reaps notify commands. libmilter
 * runs its own signal thread that would stop the milter on SIGHUP; this
 * file interposes sigwait() so that thread never takes the signals we
 * handle.
 *
 * It must never start listening with an invalid configuration or policy,
 * never keep running as root once a user is configured (the drop is
 * verified), and never exit while connections are in flight before
 * HD_MILTER_DRAIN_SECONDS have passed.
 */
#include <config.h>
#include "milter-int.h"

#include <sysexits.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

bool g_socket_local;				/* it is a unix socket (no Nagle) */
static char *g_socket;				/* the socket actually listened on */
static dev_t g_socket_dev;			/* the socket file we created ... */
static ino_t g_socket_ino;			/* ... so we never unlink a newer one */
static bool g_socket_created;
static char *g_pidfile;				/* the pid file we wrote, or NULL */

/* ---- signals ----------------------------------------------------------- */

/* The signals our own thread handles. */
static void our_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD);
}

/* Interposed sigwait(3): libmilter's signal thread calls it with SIGHUP,
   SIGTERM and SIGINT and stops the milter on SIGHUP. We take those signals
   out of any set, so only our signal thread (which uses sigwaitinfo) gets
   them; an empty set simply waits forever. */
int sigwait(const sigset_t *set, int *sig)
{
	sigset_t mine = *set;
	sigset_t ours;

	our_signals(&ours);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&ours, s))
			sigdelset(&mine, s);
	for (;;) {
		int r = sigwaitinfo(&mine, NULL);

		if (r > 0) {
			*sig = r;
			return 0;
		}
		if (errno != EINTR)
			return errno;
	}
}

/* The signal thread: SIGHUP and SIGUSR1 reload, SIGTERM/SIGINT stop, SIGCHLD reaps. */
static void *signal_thread(void *arg)
{
	sigset_t set;

	our_signals(&set);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);

		if (sig < 0)
			continue;
		switch (sig) {
		case SIGHUP:
		case SIGUSR1:
			log_notice("%s: reloading configuration and policy",
				   sig == SIGHUP ? "SIGHUP" : "SIGUSR1");
			runtime_reload();
			break;
		case SIGCHLD:
			for (;;) {
				int status;
				pid_t pid = waitpid(-1, &status, WNOHANG);

				if (pid <= 0)
					break;
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					log_warning("notify command (pid %ld) failed: status %d",
						    (long)pid, status);
			}
			break;
		default:
			log_notice("%s: finishing connections in flight, then exiting",
				   strsignal(sig));
			smfi_stop();
			return NULL;
		}
	}
}

/* ---- startup ----------------------------------------------------------- */

/* The filesystem path of a unix socket spec, or NULL for inet. */
static const char *socket_path(const char *spec)
{
	if (spec[0] == '/')
		return spec;
	if (str_has_prefix_ci(spec, "unix:"))
		return spec + 5;
	if (str_has_prefix_ci(spec, "local:"))
		return spec + 6;
	return NULL;
}

/* uid of a user name or number; false when unknown. */
static bool lookup_user(const char *name, uid_t *uid_r, gid_t *gid_r)
{
	struct passwd *pw = getpwnam(name);

	if (pw == NULL)
		return false;
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return true;
}

/* gid of a group name; false when unknown. */
static bool lookup_group(const char *name, gid_t *gid_r)
{
	struct group *gr = getgrnam(name);

	if (gr == NULL)
		return false;
	*gid_r = gr->gr_gid;
	return true;
}

/* Set owner, group and mode of a unix socket per the config. */
static bool socket_permissions(const struct hd_config *cfg, const char *spec)
{
	const char *path = socket_path(spec);
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1, ugid;

	if (path == NULL)
		return true;
	if (cfg->socket_owner != NULL && !lookup_user(cfg->socket_owner, &uid, &ugid)) {
		log_error("socket_owner: unknown user '%s'", cfg->socket_owner);
		return false;
	}
	if (cfg->socket_group != NULL && !lookup_group(cfg->socket_group, &gid)) {
		log_error("socket_group: unknown group '%s'", cfg->socket_group);
		return false;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0) {
		log_error("cannot chown %s: %s", path, strerror(errno));
		return false;
	}
	if (chmod(path, (mode_t)cfg->socket_mode) != 0) {
		log_error("cannot chmod %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* libmilter owns the listening socket and leaves Nagle on: the several small
   replies of one end of message then wait for the MTA's delayed ACK (~40 ms
   each). Find the listening inet socket among our descriptors and set
   TCP_NODELAY on it; Linux copies it to every accepted connection. */
static void socket_nodelay(void)
{
	for (int fd = 3; fd < HD_MILTER_FD_SCAN_MAX; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int listening = 0, one = 1;
		socklen_t ol = sizeof(listening);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) != 0 || !listening)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0)
			log_debug("TCP_NODELAY set on the listening socket (fd %d)", fd);
	}
}

/* Drop to the configured user and group; verify it cannot be undone. */
static bool drop_privileges(const struct hd_config *cfg)
{
	uid_t uid;
	gid_t gid;

	if (cfg->user == NULL && cfg->group == NULL)
		return true;
	if (cfg->user != NULL) {
		if (!lookup_user(cfg->user, &uid, &gid)) {
			log_error("user: unknown user '%s'", cfg->user);
			return false;
		}
	} else {
		uid = getuid();
		gid = getgid();
	}
	if (cfg->group != NULL && !lookup_group(cfg->group, &gid)) {
		log_error("group: unknown group '%s'", cfg->group);
		return false;
	}
	if (geteuid() != 0) {
		if (geteuid() == uid && getegid() == gid)
			return true;
		log_error("cannot switch to user %s: not started as root",
			  cfg->user ? cfg->user : "(unchanged)");
		return false;
	}
	if (cfg->user != NULL ? initgroups(cfg->user, gid) != 0 : setgroups(1, &gid) != 0) {
		log_error("cannot set supplementary groups: %s", strerror(errno));
		return false;
	}
	if (setgid(gid) != 0 || setuid(uid) != 0) {
		log_error("cannot switch to uid %ld gid %ld: %s", (long)uid, (long)gid,
			  strerror(errno));
		return false;
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
	    (uid != 0 && setuid(0) == 0)) {
		log_error("privileges were not dropped completely");
		return false;
	}
	log_info("running as uid %ld gid %ld", (long)uid, (long)gid);
	return true;
}

/* Write the pid file. */
static bool write_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int n;

	if (fd < 0) {
		log_error("cannot write the pid file %s: %s", path, strerror(errno));
		return false;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (!fd_write_all(fd, buf, (size_t)n)) {
		log_error("cannot write the pid file %s: %s", path, strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* Make a path absolute (config and policy are re-read after chdir("/")). */
static char *absolute_path(const char *p)
{
	char cwd[4096];

	if (p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(p);
	return xasprintf("%s/%s", cwd, p);
}

/* Remember the socket file we created, to remove only that one later. */
static void socket_remember(void)
{
	const char *path = socket_path(g_socket);
	struct stat st;

	if (path != NULL && lstat(path, &st) == 0) {
		g_socket_dev = st.st_dev;
		g_socket_ino = st.st_ino;
		g_socket_created = true;
	}
}

/* Remove the socket, the pid file and the spool we created, but never a
   socket or pid file that a newer instance has put in their place. */
static void remove_own_files(void)
{
	const char *path = socket_path(g_socket != NULL ? g_socket : "");
	struct stat st;

	if (g_socket_created && path != NULL && lstat(path, &st) == 0 &&
	    st.st_dev == g_socket_dev && st.st_ino == g_socket_ino)
		unlink(path);
	else if (g_socket_created && path != NULL)
		log_notice("%s belongs to another instance now: left in place", path);
	if (g_pidfile != NULL) {
		char buf[32] = "";
		FILE *f = fopen(g_pidfile, "r");

		if (f != NULL) {
			if (fgets(buf, sizeof(buf), f) == NULL)
				buf[0] = '\0';
			fclose(f);
		}
		if (strtol(buf, NULL, 10) == (long)getpid())
			unlink(g_pidfile);
		else
			log_notice("%s belongs to another instance now: left in place",
				   g_pidfile);
	}
	spool_dir_remove();
}

/* A start that failed after creating files: remove them, then exit code. */
static int startup_failed(int code)
{
	log_error("not started: exiting with status %d", code);
	remove_own_files();
	return code;
}

/* Print usage. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-c CONFIG] [-p SOCKET] [-P POLICY] [-n] [-f] [-V]\n"
		"  -c CONFIG  configuration file (default %s)\n"
		"  -p SOCKET  listen socket, overriding the config (unix:/path, inet:PORT@HOST)\n"
		"  -P POLICY  policy file, overriding the config\n"
		"  -n         check the configuration and the policy, then exit\n"
		"  -f         stay in the foreground and log to stderr instead of syslog\n"
		"  -V         print the version and exit\n",
		HD_MILTER_NAME, HD_CONFIG_DEFAULT_PATH);
}

/* Load config and policy and make every check start makes; problems go to
   stderr. NULL when the daemon must not start. */
static struct runtime *load_checked(void)
{
	struct hd_diag d;
	struct runtime *rt;

	hd_diag_init(&d);
	rt = runtime_load(&d);
	if (rt != NULL && milter_check_config(rt->cfg, &d) > 0)
		runtime_release(&rt);
	diag_report(&d, true);
	hd_diag_free(&d);
	return rt;
}

/* -n: everything start would check; EX_OK when it would start. */
static int check_only(void)
{
	struct runtime *rt = load_checked();

	if (rt == NULL)
		return EX_CONFIG;
	printf("%s: configuration %s and policy %s (%s v%s) are valid\n", HD_MILTER_NAME,
	       g_config_path ? g_config_path : "(built-in defaults)", rt->cfg->policy,
	       rt->policy->name, rt->policy->version);
	runtime_release(&rt);
	return 0;
}

/* Start the daemon: check, load, listen, drop privileges, serve, drain. */
int main(int argc, char **argv)
{
	const char *config_arg = NULL, *socket_arg = NULL, *policy_arg = NULL;
	bool check = false;
	struct runtime *rt;
	pthread_t sigthr;
	sigset_t set;
	int opt, rc;
	mode_t old_umask;
	unsigned a, b, cc;

	while ((opt = getopt(argc, argv, "c:p:P:nfVh")) != -1) {
		switch (opt) {
		case 'c': config_arg = optarg; break;
		case 'p': socket_arg = optarg; break;
		case 'P': policy_arg = optarg; break;
		case 'n': check = true; break;
		case 'f': g_foreground = true; break;
		case 'V':
			smfi_version(&a, &b, &cc);
			printf("%s %s (libmilter %u.%u.%u)\n", HD_MILTER_NAME, PACKAGE_VERSION, a, b,
			       cc);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (config_arg != NULL)
		g_config_path = absolute_path(config_arg);
	else if (access(HD_CONFIG_DEFAULT_PATH, F_OK) == 0)
		g_config_path = xstrdup(HD_CONFIG_DEFAULT_PATH);
	else
		fprintf(stderr, "%s: no configuration file at %s: using the built-in "
			"defaults (copy conf/helpdesk-milter.yaml there or pass -c)\n",
			HD_MILTER_NAME, HD_CONFIG_DEFAULT_PATH);
	if (policy_arg != NULL)
		g_policy_override = absolute_path(policy_arg);
	if (socket_arg != NULL) {
		char *err;

		if (!hd_config_socket_valid(socket_arg, &err)) {
			fprintf(stderr, "%s: -p %s\n", HD_MILTER_NAME, err);
			free(err);
			return EX_USAGE;
		}
	}
	if (check)
		return check_only();

	/* Load everything before touching the socket: refuse to start on errors. */
	rt = load_checked();
	if (rt == NULL) {
		fprintf(stderr, "%s: not started: fix the errors above\n", HD_MILTER_NAME);
		return EX_CONFIG;
	}
	milter_log_setup(rt->cfg);
	g_socket = xstrdup(socket_arg ? socket_arg : rt->cfg->socket);
	g_socket_local = strncmp(g_socket, "unix:", 5) == 0 ||
			 strncmp(g_socket, "local:", 6) == 0 || g_socket[0] == '/';
	signal(SIGPIPE, SIG_IGN);
	mallopt(M_MMAP_THRESHOLD, HD_MILTER_MMAP_THRESHOLD);

	if (smfi_register(milter_desc) != MI_SUCCESS ||
	    smfi_setconn(g_socket) != MI_SUCCESS ||
	    smfi_settimeout(rt->cfg->timeout) != MI_SUCCESS ||
	    smfi_setbacklog(HD_MILTER_BACKLOG) != MI_SUCCESS) {
		log_error("cannot set up libmilter for %s", g_socket);
		return EX_SOFTWARE;
	}
	/* The socket is created private, then opened up below; everything else
	   (the store, the spool) gets the umask we were started with. */
	old_umask = umask(0077);
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_error("cannot create the socket %s: %s", g_socket, strerror(errno));
		return EX_OSERR;
	}
	umask(old_umask);
	socket_remember();
	socket_nodelay();
	if (!socket_permissions(rt->cfg, g_socket))
		return startup_failed(EX_NOPERM);
	if (!g_foreground && daemon(0, 0) != 0) {
		log_error("cannot become a daemon: %s", strerror(errno));
		return startup_failed(EX_OSERR);
	}
	if (rt->cfg->pidfile != NULL) {
		if (!write_pidfile(rt->cfg->pidfile))
			return startup_failed(EX_CANTCREAT);
		g_pidfile = xstrdup(rt->cfg->pidfile);
	}
	if (!drop_privileges(rt->cfg))
		return startup_failed(EX_NOPERM);
	if (!spool_dir_create())
		return startup_failed(EX_CANTCREAT);
	runtime_swap(rt);

	/* Block our signals in every thread; one thread takes them. */
	our_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&sigthr, NULL, signal_thread, NULL) != 0) {
		log_error("cannot start the signal thread");
		return startup_failed(EX_OSERR);
	}
	pthread_detach(sigthr);

	rt = runtime_acquire();
	log_notice("started on %s: policy %s v%s, store %s, on_failure=%s", g_socket,
		   rt->policy->name, rt->policy->version, rt->cfg->store,
		   rt->cfg->on_failure_tempfail ? "tempfail" : "accept");
	runtime_release(&rt);
	rc = smfi_main();

	/* Let connections in flight finish before tearing down. */
	for (int i = 0; i < HD_MILTER_DRAIN_SECONDS * 10 && atomic_load(&g_active) > 0; i++)
		usleep(100 * 1000);
	if (atomic_load(&g_active) > 0)
		log_warning("exiting with %d connection(s) still open", atomic_load(&g_active));
	remove_own_files();
	store_pool_drain();
	log_notice("stopped");
	runtime_swap(NULL);
	free(g_socket);
	free(g_config_path);
	free(g_policy_override);
	free(g_pidfile);
	return rc == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}
