/*
 * seal - computes and verifies X-Helpdesk-Seal with GLib's HMAC-SHA256, so a
 * helpdesk plugin or an auditor can prove a stamp came from the milter. The
 * signed text is, per header listed in h= (Message-ID last):
 * "lower-case-name:relaxed-value\r\n", then "x-helpdesk-seal:v=1; k=ID; h=LIST\r\n"
 * so the key id and the list are bound too.
 *
 * Must never: accept a seal whose h= list differs from the X-Helpdesk-*
 * headers present (a stamp added, removed or moved after sealing), compare
 * MACs in variable time, or read a key file others can read.
 */
#include <config.h>
#include "seal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HD_PREFIX "X-Helpdesk-"
#define SEAL_VERSION "1"
#define SHA256_BYTES 32

/* Key id syntax. */
bool hd_seal_key_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > HD_SEAL_KEY_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
			return false;
	return true;
}

/* A key from bytes. */
struct hd_seal_key *hd_seal_key_new(const char *id, const void *secret, size_t len)
{
	struct hd_seal_key *k = xcalloc(1, sizeof(*k));

	k->id = xstrdup(id);
	k->secret = xmalloc(len ? len : 1);
	memcpy(k->secret, secret, len);
	k->len = len;
	return k;
}

/* Load a key file. */
struct hd_seal_key *hd_seal_key_load(const char *id, const char *path, char **error_r)
{
	unsigned char buf[HD_SEAL_KEY_MAX_BYTES + 2];
	struct hd_seal_key *k;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	if (!hd_seal_key_id_valid(id)) {
		*error_r = xasprintf("bad seal key id '%s' (letters, digits, '.', '_', '-'; at most %d)",
				     id ? id : "", HD_SEAL_KEY_ID_MAX);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*error_r = xasprintf("cannot open seal key file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IROTH)) {
		close(fd);
		*error_r = xasprintf("seal key file %s is readable by everyone: chmod o-r it "
				     "(the key proves stamps came from the milter)", path);
		return NULL;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len < HD_SEAL_KEY_MIN_BYTES || len > HD_SEAL_KEY_MAX_BYTES) {
		*error_r = xasprintf("seal key file %s holds %zu bytes; it needs %d to %d "
				     "(e.g. head -c 32 /dev/urandom | base64 > %s)", path, len,
				     HD_SEAL_KEY_MIN_BYTES, HD_SEAL_KEY_MAX_BYTES, path);
		return NULL;
	}
	k = hd_seal_key_new(id, buf, len);
	memset(buf, 0, sizeof(buf));
	return k;
}

/* Free a key, wiping the secret. */
void hd_seal_key_free(struct hd_seal_key **kp)
{
	struct hd_seal_key *k = *kp;

	if (k == NULL)
		return;
	memset(k->secret, 0, k->len);
	free(k->secret);
	free(k->id);
	free(k);
	*kp = NULL;
}

/* Relaxed value: no CR/LF, white space runs as one space, trimmed. */
static void put_relaxed(struct strbuf *sb, const char *v)
{
	bool space = false, any = false;

	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			space = any;
			continue;
		}
		if (space)
			sb_putc(sb, ' ');
		sb_putc(sb, *p);
		space = false;
		any = true;
	}
}

/* One canonical line "name:value\r\n". */
static void put_line(struct strbuf *sb, const char *name, const char *value)
{
	char *lc = xstrdup(name);

	str_lower(lc);
	sb_puts(sb, lc);
	sb_putc(sb, ':');
	put_relaxed(sb, value);
	sb_puts(sb, "\r\n");
	free(lc);
}

/* HMAC-SHA256 of text with key into out. */
static void hmac(const struct hd_seal_key *k, const char *text, size_t len,
		 unsigned char out[SHA256_BYTES])
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, k->secret, k->len);
	gsize n = SHA256_BYTES;

	g_hmac_update(h, (const guchar *)text, (gssize)len);
	g_hmac_get_digest(h, out, &n);
	g_hmac_unref(h);
}

/* The signed text for names/values (pairs) and the seal's v/k/h prefix. */
static char *signed_text(const struct strvec *pairs, const char *message_id, const char *prefix)
{
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; i + 1 < pairs->n; i += 2)
		put_line(&sb, pairs->v[i], pairs->v[i + 1]);
	put_line(&sb, "Message-ID", message_id);
	put_line(&sb, HD_SEAL_HEADER, prefix);
	return sb_steal(&sb);
}

/* Signed X-Helpdesk-* pairs of headers (the seal itself excluded). */
static void select_signed(const struct strvec *headers, struct strvec *out)
{
	sv_init(out);
	for (size_t i = 0; i + 1 < headers->n && out->n / 2 < HD_SEAL_MAX_HEADERS; i += 2)
		if (str_has_prefix_ci(headers->v[i], HD_PREFIX) &&
		    strcasecmp(headers->v[i], HD_SEAL_HEADER) != 0) {
			sv_push(out, headers->v[i]);
			sv_push(out, headers->v[i + 1]);
		}
}

/* Compute the seal value. */
char *hd_seal_make(const struct hd_seal_key *k, const struct strvec *headers, const char *message_id)
{
	struct strvec sig;
	struct strbuf pre;
	unsigned char mac[SHA256_BYTES];
	char *text, *b64, *out;

	select_signed(headers, &sig);
	sb_init(&pre);
	sb_printf(&pre, "v=%s; k=%s; h=", SEAL_VERSION, k->id);
	for (size_t i = 0; i + 1 < sig.n; i += 2)
		sb_printf(&pre, "%s:", sig.v[i]);
	sb_puts(&pre, "Message-ID");
	text = signed_text(&sig, message_id, pre.s);
	hmac(k, text, strlen(text), mac);
	b64 = g_base64_encode(mac, sizeof(mac));
	out = xasprintf("%s; s=%s", pre.s, b64);
	g_free(b64);
	free(text);
	sb_free(&pre);
	sv_free(&sig);
	return out;
}

/* Split a header block into name, unfolded value pairs. */
static void parse_headers(const char *msg, size_t len, struct strvec *pairs)
{
	const char *p = msg, *end = msg + len;
	struct strbuf val;
	bool have = false;

	sv_init(pairs);
	sb_init(&val);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;
		size_t llen = (size_t)((eol ? eol : end) - p);

		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (llen == 0)
			break;
		if ((*p == ' ' || *p == '\t') && have) {
			sb_putc(&val, ' ');
			sb_append(&val, p, llen);
		} else {
			const char *colon = memchr(p, ':', llen);
			if (have) {
				sv_push(pairs, val.s ? val.s : "");
				have = false;
			}
			if (colon) {
				const char *ne = colon;
				while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
					ne--;
				sv_push_owned(pairs, xstrndup(p, (size_t)(ne - p)));
				sb_truncate(&val, 0);
				sb_append(&val, colon + 1, llen - (size_t)(colon + 1 - p));
				have = true;
			}
		}
		p = next;
	}
	if (have)
		sv_push(pairs, val.s ? val.s : "");
	sb_free(&val);
}

/* Value of tag in "v=1; k=x; h=a:b; s=..." (trimmed), allocated, or NULL. */
static char *seal_tag(const char *v, const char *tag)
{
	size_t tl = strlen(tag);

	for (const char *p = v; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		if (n > tl && strncmp(p, tag, tl) == 0 && p[tl] == '=') {
			const char *s = p + tl + 1, *e = p + n;
			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			return xstrndup(s, (size_t)(e - s));
		}
		p = semi;
	}
	return NULL;
}

/* Set an allocated detail sentence. */
static enum hd_seal_result fail(enum hd_seal_result r, char **detail_r, char *detail)
{
	if (detail_r)
		*detail_r = detail;
	else
		free(detail);
	return r;
}

/* Compare the h= list with the X-Helpdesk-* headers present; NULL when equal. */
static char *compare_lists(const struct strvec *listed, const struct strvec *sig)
{
	size_t nsig = sig->n / 2;

	for (size_t i = 0; i < listed->n || i < nsig; i++) {
		const char *want = i < listed->n ? listed->v[i] : NULL;
		const char *got = i < nsig ? sig->v[2 * i] : NULL;
		if (want && got && strcasecmp(want, got) == 0)
			continue;
		if (listed->n != nsig)
			return xasprintf("the seal lists %zu X-Helpdesk-* headers but the message has %zu "
					 "(first difference at position %zu: sealed %s, found %s): a stamp was "
					 "removed or added after sealing", listed->n, nsig, i + 1,
					 want ? want : "nothing", got ? got : "nothing");
		return xasprintf("X-Helpdesk-* headers are not in the sealed order (position %zu: sealed "
				 "%s, found %s): headers were reordered after sealing", i + 1, want, got);
	}
	return NULL;
}

/* Verify a message's seal. */
enum hd_seal_result hd_seal_verify(struct hd_seal_key *const *keys, size_t nkeys,
				   const char *msg, size_t len, char **key_id_r, char **detail_r)
{
	struct strvec hdrs, sig, listed;
	const char *seal = NULL, *mid = NULL;
	char *kid = NULL, *hlist = NULL, *s = NULL, *ver = NULL, *pre = NULL, *text = NULL, *d;
	const struct hd_seal_key *k = NULL;
	enum hd_seal_result r;
	size_t nseals = 0;

	parse_headers(msg, len, &hdrs);
	sv_init(&listed);
	select_signed(&hdrs, &sig);
	for (size_t i = 0; i + 1 < hdrs.n; i += 2) {
		if (strcasecmp(hdrs.v[i], HD_SEAL_HEADER) == 0 && nseals++ == 0)
			seal = hdrs.v[i + 1];
		if (strcasecmp(hdrs.v[i], "Message-ID") == 0 && mid == NULL)
			mid = hdrs.v[i + 1];
	}
	if (seal == NULL) {
		r = fail(HD_SEAL_NONE, detail_r, xstrdup("the message has no X-Helpdesk-Seal header"));
		goto out;
	}
	ver = seal_tag(seal, "v");
	kid = seal_tag(seal, "k");
	hlist = seal_tag(seal, "h");
	s = seal_tag(seal, "s");
	if (nseals > 1 || !ver || strcmp(ver, SEAL_VERSION) != 0 || !kid || !hlist || !s) {
		r = fail(HD_SEAL_MALFORMED, detail_r, nseals > 1 ?
			 xasprintf("the message has %zu X-Helpdesk-Seal headers; a sealed message has one", nseals) :
			 xstrdup("X-Helpdesk-Seal is not 'v=1; k=KEY; h=NAMES; s=MAC'"));
		goto out;
	}
	if (key_id_r)
		*key_id_r = xstrdup(kid);
	{
		char *copy = xstrdup(hlist);
		for (char *p = copy, *tok; (tok = strsep(&p, ":")) != NULL;) {
			while (*tok == ' ')
				tok++;
			if (*tok)
				sv_push(&listed, tok);
		}
		free(copy);
	}
	if (listed.n == 0 || strcasecmp(listed.v[listed.n - 1], "Message-ID") != 0) {
		r = fail(HD_SEAL_MALFORMED, detail_r, xstrdup("X-Helpdesk-Seal h= does not end with Message-ID"));
		goto out;
	}
	free(listed.v[--listed.n]);
	listed.v[listed.n] = NULL;
	for (size_t i = 0; i < nkeys && k == NULL; i++)
		if (strcmp(keys[i]->id, kid) == 0)
			k = keys[i];
	if (k == NULL) {
		r = fail(HD_SEAL_UNKNOWN_KEY, detail_r, xasprintf("the seal was made with key '%s', which "
			 "was not given (add --key-file %s=FILE)", kid, kid));
		goto out;
	}
	if ((d = compare_lists(&listed, &sig)) != NULL) {
		r = fail(HD_SEAL_HEADERS_DIFFER, detail_r, d);
		goto out;
	}
	{
		struct strbuf pb;
		unsigned char mac[SHA256_BYTES];
		gsize glen = 0;
		guchar *given = NULL;
		unsigned diff = 0;

		/* The names are signed as listed in h= (the case the milter wrote). */
		for (size_t i = 0; i < listed.n; i++) {
			free(sig.v[2 * i]);
			sig.v[2 * i] = xstrdup(listed.v[i]);
		}
		sb_init(&pb);
		sb_printf(&pb, "v=%s; k=%s; h=%s", ver, kid, hlist);
		pre = sb_steal(&pb);
		sb_free(&pb);
		text = signed_text(&sig, mid, pre);
		hmac(k, text, strlen(text), mac);
		given = g_base64_decode(s, &glen);
		if (glen != SHA256_BYTES)
			diff = 1;
		for (size_t i = 0; i < SHA256_BYTES && glen == SHA256_BYTES; i++)
			diff |= (unsigned)(mac[i] ^ given[i]);
		g_free(given);
		r = diff ? fail(HD_SEAL_BAD, detail_r, xasprintf("the seal does not match (key '%s'): a "
				"sealed header value or the Message-ID was altered, or the key is wrong", kid))
			 : fail(HD_SEAL_OK, detail_r, xasprintf("seal good: key '%s', %zu headers and the "
				"Message-ID", kid, listed.n));
	}
out:
	sv_free(&hdrs);
	sv_free(&sig);
	sv_free(&listed);
	free(ver);
	free(kid);
	free(hlist);
	free(s);
	free(pre);
	free(text);
	return r;
}

/* Name of a result for output. */
const char *hd_seal_result_name(enum hd_seal_result r)
{
	switch (r) {
	case HD_SEAL_OK: return "good";
	case HD_SEAL_NONE: return "none";
	case HD_SEAL_MALFORMED: return "malformed";
	case HD_SEAL_UNKNOWN_KEY: return "unknown-key";
	case HD_SEAL_HEADERS_DIFFER: return "headers-differ";
	case HD_SEAL_BAD: return "bad";
	}
	return "bad";
}
