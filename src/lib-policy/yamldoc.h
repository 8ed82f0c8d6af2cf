#ifndef HD_YAMLDOC_H
#define HD_YAMLDOC_H
/*
 * yamldoc - reads a YAML file with libyaml into a small node tree that keeps
 * the line and column of every node, so loaders (policy, config) can report
 * file:line:column errors after parsing. Anchors/aliases are refused (no
 * billion-laughs), depth and size are limited. Never used on message data.
 */
#include <stdbool.h>
#include <stddef.h>
#include "diag.h"

struct hd_yarena;

#define HD_YAML_MAX_DEPTH 32
#define HD_YAML_MAX_NODES 1000000
#define HD_YAML_MAX_FILE_BYTES (8u * 1024 * 1024)

enum hd_ynode_type { HD_Y_SCALAR, HD_Y_SEQ, HD_Y_MAP };

struct hd_ynode {
	enum hd_ynode_type type;
	int line, column;		/* 1-based, where the node starts */
	bool plain;			/* scalar was unquoted */
	char *scalar;			/* HD_Y_SCALAR: the text */
	struct hd_ynode **keys;		/* HD_Y_MAP: key nodes (scalars) */
	struct hd_ynode **items;	/* HD_Y_SEQ: items; HD_Y_MAP: values */
	size_t n;
	struct hd_yarena *arena;	/* root only: the memory of the whole tree */
};

/* Parse a whole file; NULL + diagnostics on a syntax error or a limit. An
   empty document gives an empty map. */
struct hd_ynode *hd_yaml_load_file(const char *path, struct hd_diag *diag);
struct hd_ynode *hd_yaml_load_buffer(const char *name, const char *data, size_t len,
				     struct hd_diag *diag);
/* Free a tree returned by hd_yaml_load_*() (every node lives in the root's
   arena: one call frees all); sets *n to NULL. */
void hd_ynode_deinit(struct hd_ynode **n);

/* Value of key in a map, or NULL. */
const struct hd_ynode *hd_ymap_get(const struct hd_ynode *map, const char *key);
/* Report every key of map not in allowed (NULL-terminated) as
   "unknown key 'X' in SECTION (did you mean 'Y'?; expected one of: ...)". Also
   reports duplicate keys. Returns the number of problems. */
size_t hd_ymap_check_keys(const struct hd_ynode *map, const char *const *allowed,
			  const char *section, const char *file, struct hd_diag *diag);
/* Closest candidate by edit distance (<= 2, or <= a third of the length), or NULL. */
const char *hd_did_you_mean(const char *word, const char *const *candidates);
/* Describe a node type for messages: "a mapping", "a list", "a string". */
const char *hd_ynode_type_name(const struct hd_ynode *n);
/* True for an absent node or a plain empty, "~" or "null" scalar. */
bool hd_ynode_is_null(const struct hd_ynode *n);
/* Boolean scalar: true/false, yes/no, on/off (any case); false when not one. */
bool hd_yscalar_bool(const struct hd_ynode *n, bool *b_r);
/* Decimal integer scalar within [min, max]; false when malformed or out of range. */
bool hd_yscalar_long(const struct hd_ynode *n, long min, long max, long *v_r);

#endif
