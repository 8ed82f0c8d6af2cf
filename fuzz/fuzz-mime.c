/*
 * fuzz-mime - MIME parsing (src/lib-mail/mime*.c on GMime) of a raw message,
 * with small limits so that they are reached. Checks: a message always comes
 * back, parts and headers stay within the limits, every part's text and the
 * joined text are valid UTF-8, the pre-pass cuts never grow the input, the
 * parse takes time linear in the input, and the fast path (mime-fast.c)
 * reads every message exactly as the GMime walk does
 * (hd_message_parse_gmime()), field for field.
 */
#include <config.h>
#include "fuzz.h"
#include "mime.h"
#include <glib.h>

/* Limits small enough for the fuzzer to cross them. */
static struct hd_limits fuzz_lim;

/* Once per process. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	hd_mime_init();
	hd_limits_init(&fuzz_lim);
	fuzz_lim.mime_parts = 20;
	fuzz_lim.mime_depth = 6;
	fuzz_lim.header_count = 40;
	fuzz_lim.header_bytes = 2048;
	fuzz_lim.text_bytes = 64 * 1024;
	return 0;
}

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	double t0 = props_cpu_seconds();
	struct hd_message *msg;
	size_t cut, hlen = 0;
	char *hcut, *text;

	cut = hd_mime_parts_cut(s, size, fuzz_lim.mime_parts);
	props_require("fuzz-mime", cut > size ? "parts cut past the end" : NULL);
	hcut = hd_mime_headers_cut(s, size, fuzz_lim.header_count, &hlen);
	props_require("fuzz-mime", hcut != NULL && hlen > size ? "headers cut grew the message" : NULL);
	free(hcut);

	msg = hd_message_parse(s, size, &fuzz_lim);
	props_require("fuzz-mime", msg == NULL ? "no message" : NULL);
	props_require("fuzz-mime", msg->subject == NULL || msg->from == NULL ? "no subject or from" : NULL);
	for (size_t i = 0; i < msg->nparts; i++) {
		const struct hd_textpart *tp = &msg->parts[i];
		props_require("fuzz-mime", tp->text == NULL || tp->agent_text == NULL ? "a part without text" : NULL);
		props_require("fuzz-mime", !g_utf8_validate(tp->text, -1, NULL) ? "part text is not UTF-8" : NULL);
	}
	props_require("fuzz-mime", !g_utf8_validate(msg->subject, -1, NULL) ? "subject is not UTF-8" : NULL);
	struct hd_message *ref = hd_message_parse_gmime(s, size, &fuzz_lim);
	props_require("fuzz-mime", hd_message_diff(msg, ref) != NULL ?
		      "the fast path and GMime read the message differently" : NULL);
	hd_message_deinit(&ref);
	text = hd_message_text(msg);
	props_require("fuzz-mime", text == NULL ? "no message text" : NULL);
	free(text);
	hd_message_deinit(&msg);
	props_require("fuzz-mime", msg != NULL ? "deinit left the pointer" : NULL);
	props_require("fuzz-mime", props_time_within(props_cpu_seconds() - t0, size));
	return 0;
}
