/*
 * milter-check - the checks that start would fail on, made before anything is
 * created, so that `helpdesk-milter -n` and a real start agree: the users and
 * groups the config names exist, the store URI has a known scheme, the SQLite
 * store's directory exists and the user the daemon drops to can write it,
 * and the notify command is an executable program. Each problem is one
 * diagnostic naming the config file, the key, the problem and what to do.
 * Must never create, chown or modify anything: it only looks.
 */
#include <config.h>
#include "milter-int.h"
#include "diag.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Supplementary groups looked at for the dropped user. */
#define HD_CHECK_GROUPS_MAX 256

/* Who the daemon will run as once privileges are dropped. */
struct check_identity {
	uid_t uid;
	gid_t groups[HD_CHECK_GROUPS_MAX];
	int ngroups;
	const char *name;	/* for messages */
};

/* Add one problem about a config key, at the line and column of its value
   (or 1:1, saying so, when the file leaves the key at its default). */
static void check_fail(struct hd_diag *d, const struct hd_config *cfg, const char *key,
		       const char *what)
{
	int line, column;

	if (hd_config_key_pos(cfg, key, &line, &column) || cfg->file == NULL)
		hd_diag_add(d, cfg->file != NULL ? cfg->file : "(built-in defaults)", line, column,
			    "%s: %s", key, what);
	else
		hd_diag_add(d, cfg->file, 1, 1, "%s (not set: the default): %s", key, what);
}

/* True when the identity may do `want` (a mode triple: 4 read, 2 write,
   1 search/execute) on a file with the given owner, group and mode. */
static bool check_may(const struct check_identity *id, const struct stat *st, unsigned want)
{
	if (id->uid == 0)
		return (want & 1) == 0 || (st->st_mode & 0111) != 0 || S_ISDIR(st->st_mode);
	if (st->st_uid == id->uid)
		return ((st->st_mode >> 6) & want) == want;
	for (int i = 0; i < id->ngroups; i++)
		if (st->st_gid == id->groups[i])
			return ((st->st_mode >> 3) & want) == want;
	return (st->st_mode & want) == want;
}

/* Work out the identity after the drop; false (with a problem) when unknown. */
static bool check_identity(const struct hd_config *cfg, struct hd_diag *d,
			   struct check_identity *id_r)
{
	struct passwd *pw = NULL;
	gid_t gid = getgid();
	char msg[512];

	id_r->uid = getuid();
	id_r->name = "the current user";
	if (cfg->user != NULL) {
		pw = getpwnam(cfg->user);
		if (pw == NULL) {
			snprintf(msg, sizeof(msg), "unknown user '%s': create it (adduser --system "
				 "%s) or name an existing user", cfg->user, cfg->user);
			check_fail(d, cfg, "user", msg);
			return false;
		}
		id_r->uid = pw->pw_uid;
		gid = pw->pw_gid;
		id_r->name = cfg->user;
	}
	if (cfg->group != NULL) {
		struct group *gr = getgrnam(cfg->group);

		if (gr == NULL) {
			snprintf(msg, sizeof(msg), "unknown group '%s': create it or name an "
				 "existing group", cfg->group);
			check_fail(d, cfg, "group", msg);
			return false;
		}
		gid = gr->gr_gid;
	}
	id_r->ngroups = HD_CHECK_GROUPS_MAX;
	if (pw != NULL) {
		if (getgrouplist(pw->pw_name, gid, id_r->groups, &id_r->ngroups) < 0)
			id_r->ngroups = HD_CHECK_GROUPS_MAX;
	} else {
		id_r->groups[0] = gid;
		id_r->ngroups = 1;
	}
	return true;
}

/* socket_owner and socket_group must exist. */
static void check_socket_ids(const struct hd_config *cfg, struct hd_diag *d)
{
	char msg[512];

	if (cfg->socket_owner != NULL && getpwnam(cfg->socket_owner) == NULL) {
		snprintf(msg, sizeof(msg), "unknown user '%s': name an existing user",
			 cfg->socket_owner);
		check_fail(d, cfg, "socket_owner", msg);
	}
	if (cfg->socket_group != NULL && getgrnam(cfg->socket_group) == NULL) {
		snprintf(msg, sizeof(msg), "unknown group '%s': name an existing group (for "
			 "Postfix usually 'postfix')", cfg->socket_group);
		check_fail(d, cfg, "socket_group", msg);
	}
}

/* The store URI parses, and a SQLite store's directory (and file, if it
   exists) can be written by the daemon's user (id NULL: the URI only). */
static void check_store(const struct hd_config *cfg, const struct check_identity *id,
			struct hd_diag *d)
{
	char *path = NULL, *err = NULL, msg[PATH_MAX + 256];
	struct stat st;

	if (!hd_store_uri_check(cfg->store, &path, &err)) {
		check_fail(d, cfg, "store", strncmp(err, "store: ", 7) == 0 ? err + 7 : err);
		free(err);
		return;
	}
	if (path != NULL && id != NULL) {
		char *slash = strrchr(path, '/');
		char *dir = slash == NULL ? xstrdup(".") :
			    slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));

		if (stat(dir, &st) != 0) {
			snprintf(msg, sizeof(msg), "directory %s: %s: create it and give it to "
				 "%s (install -d -o USER -m 0750 %s)", dir, strerror(errno),
				 id->name, dir);
			check_fail(d, cfg, "store", msg);
		} else if (!S_ISDIR(st.st_mode)) {
			snprintf(msg, sizeof(msg), "%s is not a directory", dir);
			check_fail(d, cfg, "store", msg);
		} else if (!check_may(id, &st, 3)) {
			snprintf(msg, sizeof(msg), "directory %s: permission denied: %s cannot "
				 "create files there; chown it to that user or choose another "
				 "store", dir, id->name);
			check_fail(d, cfg, "store", msg);
		} else if (stat(path, &st) == 0 && !check_may(id, &st, 6)) {
			snprintf(msg, sizeof(msg), "%s: permission denied: %s cannot write "
				 "it; chown it to that user", path, id->name);
			check_fail(d, cfg, "store", msg);
		}
		free(dir);
	}
	free(path);
}

/* notify_command's program is an absolute path the daemon's user can run. */
static void check_notify(const struct hd_config *cfg, const struct check_identity *id,
			 struct hd_diag *d)
{
	const char *prog;
	char msg[PATH_MAX + 256];
	struct stat st;

	if (cfg->notify_command.n == 0)
		return;
	prog = cfg->notify_command.v[0];
	if (prog[0] != '/') {
		snprintf(msg, sizeof(msg), "'%s' is not an absolute path: commands run "
			 "without a shell or PATH; give the full path", prog);
		check_fail(d, cfg, "notify_command", msg);
	} else if (stat(prog, &st) != 0) {
		snprintf(msg, sizeof(msg), "%s: %s: install it or fix the path", prog,
			 strerror(errno));
		check_fail(d, cfg, "notify_command", msg);
	} else if (!S_ISREG(st.st_mode) || !check_may(id, &st, 1)) {
		snprintf(msg, sizeof(msg), "%s is not a program %s can execute", prog,
			 id->name);
		check_fail(d, cfg, "notify_command", msg);
	}
}

/* Every check start would fail on; the count of problems added to d. */
size_t milter_check_config(const struct hd_config *cfg, struct hd_diag *d)
{
	size_t before = hd_diag_count(d);
	struct check_identity id;

	check_socket_ids(cfg, d);
	if (check_identity(cfg, d, &id)) {
		check_store(cfg, &id, d);
		check_notify(cfg, &id, d);
	} else {
		check_store(cfg, NULL, d);	/* the URI at least */
	}
	return hd_diag_count(d) - before;
}
