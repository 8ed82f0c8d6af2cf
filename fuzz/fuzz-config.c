/*
 * fuzz-config - the daemon configuration loader (src/lib-policy/settings.c)
 * on any bytes, and its size and socket parsers on the first line. Checks:
 * a config or a clear error naming the file, limits never zero-sized where
 * the loader promises a positive value, sizes within their maximum.
 */
#include <config.h>
#include "fuzz.h"
#include "diag.h"
#include "settings.h"

#define FUZZ_NAME "/nonexistent/fuzz-config.yaml"

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hd_diag d;
	struct hd_config *c;
	char *line = fuzz_cstr(data, size), *nl, *err = NULL;
	size_t sz;
	double t0 = props_cpu_seconds();

	log_set_sink(NULL, LOG_LVL_ERROR);
	hd_diag_init(&d);
	c = hd_config_load_buffer(FUZZ_NAME, (const char *)data, size, &d);
	props_require("fuzz-config", c == NULL && hd_diag_count(&d) == 0 ? "no config and no error" : NULL);
	props_require("fuzz-config", c != NULL && hd_diag_count(&d) != 0 ? "a config with errors" : NULL);
	for (size_t i = 0; i < d.lines.n; i++)
		props_require("fuzz-config", strncmp(d.lines.v[i], FUZZ_NAME ":", strlen(FUZZ_NAME) + 1) != 0 ?
			      "a diagnostic without the file name" : NULL);
	if (c != NULL) {
		props_require("fuzz-config", c->socket == NULL || c->policy == NULL || c->store == NULL ?
			      "socket, policy or store missing" : NULL);
		props_require("fuzz-config", c->limits.message_bytes > HD_CONFIG_MESSAGE_BYTES_MAX ||
			      c->limits.mime_depth > HD_CONFIG_MIME_DEPTH_MAX ? "a limit over its maximum" : NULL);
		props_require("fuzz-config", c->notify_command.n > HD_CONFIG_NOTIFY_ARGS_MAX ?
			      "notify_command over its maximum" : NULL);
		hd_config_deinit(&c);
		props_require("fuzz-config", c != NULL ? "deinit left the pointer" : NULL);
	}
	hd_diag_free(&d);
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	if (hd_config_parse_size(line, &sz))
		props_require("fuzz-config", line[0] == '\0' ? "an empty size parsed" : NULL);
	if (!hd_config_socket_valid(line, &err))
		props_require("fuzz-config", err == NULL ? "an invalid socket without a reason" : NULL);
	free(err);
	(void)hd_config_syslog_facility(line);
	(void)hd_config_log_level(line);
	free(line);
	props_require("fuzz-config", props_time_within(props_cpu_seconds() - t0, size));
	return 0;
}
