/*
 * quote-oracle - the quote split as it was before its cheap exits and
 * one-pass line hash (quote.c, quote-attrib.c, quote-words.c and
 * quote-int.h at commit 098fb02), every name prefixed oracle_ (constants
 * ORACLE_QUOTE_, OQK_, OQH_, OQC_) and static: test-quote.c compares the
 * fast split, regions and line fingerprints with it on the repository's
 * samples and on generated text. It must never change: it is the
 * reference the fast code must equal, byte for byte and hash for hash.
 */
#ifndef HD_QUOTE_ORACLE_H
#define HD_QUOTE_ORACLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "quote.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#define ORACLE_QUOTE_LINE_MAX	400	/* bytes of a line looked at as a marker */
#define ORACLE_QUOTE_FOLD_MAX	(ORACLE_QUOTE_LINE_MAX * 2) /* folded marker text */
#define ORACLE_QUOTE_ATTR_LINES	3	/* an attribution may wrap over this many lines */
#define ORACLE_QUOTE_HDR_NAME_MAX	40	/* bytes of a header name ("Envoyé le") */
#define ORACLE_QUOTE_HDR_WORDS_MAX	4	/* words of a header name */
#define ORACLE_QUOTE_HDR_WINDOW	8	/* lines of a header block looked at */
#define ORACLE_QUOTE_SEP_MIN	5	/* "_____" / "-----" separator length */
#define ORACLE_QUOTE_MOBILE_MAX	80	/* bytes of a "Sent from my phone" line */
#define ORACLE_QUOTE_MOBILE_PREFIX	64	/* bytes compared: longer than any in quote-words.c */

/* What a line is, before any decision. */
enum oracle_quote_kind {
	OQK_TEXT,
	OQK_BLANK,
	OQK_QUOTED,		/* "> ..." */
	OQK_SIG,			/* "-- ", "Sent from my iPhone" */
	OQK_ORIGINAL,		/* "-----Original Message-----" and translations */
	OQK_DASHTITLE,		/* "---- some words ----": needs more evidence */
	OQK_SEPARATOR,		/* "________________" */
	OQK_HEADER,		/* "Name: value" */
};
/* Which header a name is, from the word lists. */
enum oracle_quote_hdr {
	OQH_UNKNOWN,
	OQH_FROM,
	OQH_SENT,		/* sent / date */
	OQH_OTHER,		/* to / cc / subject */
};

/* How sure a recogniser is. */
enum oracle_quote_conf {
	OQC_NONE,
	OQC_WEAK,		/* looks like a marker: what follows is uncertain */
	OQC_STRONG,		/* a marker: what follows is quoted history */
};

struct oracle_quote_line {
	const char *s;
	size_t len;		/* without CR/LF */
	enum oracle_quote_kind kind;
	enum oracle_quote_hdr hdr;	/* OQK_HEADER: which header */
	uint8_t region;		/* enum hd_quote_kind */
	bool thread;		/* matches a line of the thread's earlier messages */
};

/* ---- quote-words.c at 098fb02 ---- */


#define ORACLE_QNELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The verb of an attribution ("wrote"), folded, one word each. */
static const char *const oracle_qw_wrote[] = {
	"wrote", "writes", "schrieb", "geschrieben", "écrit", "escribió", "escribio",
	"escreveu", "scritto", "scrisse", "schreef", "geschreven", "skrev", "skrifaði",
	"kirjoitti", "napisał", "napisała", "napisal", "napisala", "pisze", "napsal",
	"napsala", "napísal", "napísala", "írta", "scris", "έγραψε", "писал", "писала",
	"написал", "написала", "пишет", "написав", "писав", "пише", "написа", "napisao",
	"napisala", "rašė", "rakstīja", "kirjutas", "yazdı", "كتب", "كتبت", "כתב", "כתבה",
	"نوشت", "لکھا", "लिखा", "menulis", "viết", "escriure", "idatzi", "작성",
};

/* Verbs of languages written without spaces: searched as substrings. */
static const char *const oracle_qw_wrote_cjk[] = {
	"写道", "寫道", "書きました", "のメッセージ", "님이 작성", "เขียน",
};

/* Titles between dashes: "-----Original Message-----", folded. */
static const char *const oracle_qw_titles[] = {
	"original message", "forwarded message", "reply message", "begin forwarded message",
	"ursprüngliche nachricht", "original-nachricht", "weitergeleitete nachricht",
	"message d'origine", "message d’origine", "message transféré", "message du",
	"mensaje original", "mensaje reenviado", "oorspronkelijk bericht",
	"doorgestuurd bericht", "messaggio originale", "messaggio inoltrato",
	"mensagem original", "mensagem encaminhada", "ursprungligt meddelande",
	"vidarebefordrat meddelande", "opprinnelig melding", "videresendt melding",
	"oprindelig besked", "original besked", "videresendt besked", "alkuperäinen viesti",
	"välitetty viesti", "wiadomość oryginalna", "oryginalna wiadomość",
	"przekazana wiadomość", "původní zpráva", "přeposlaná zpráva", "pôvodná správa",
	"preposlaná správa", "eredeti üzenet", "továbbított üzenet", "mesaj original",
	"mesaj redirecționat", "mesaj redirectionat", "αρχικό μήνυμα", "προωθημένο μήνυμα",
	"исходное сообщение", "пересылаемое сообщение", "пересланное сообщение",
	"оригинальное сообщение", "вихідне повідомлення", "пересланий лист",
	"оригинално съобщение", "препратено съобщение", "orijinal ileti", "özgün ileti",
	"iletilen ileti", "الرسالة الأصلية", "رسالة معاد توجيهها", "ההודעה המקורית",
	"הודעה שהועברה", "原始邮件", "转发的邮件", "原始郵件", "轉寄的郵件", "元のメッセージ",
	"転送されたメッセージ", "원본 메시지", "전달된 메시지", "thư gốc", "thư chuyển tiếp",
	"pesan asli", "pesan yang diteruskan", "mesej asal", "ข้อความต้นฉบับ",
	"ข้อความที่ส่งต่อ", "izvorna poruka", "originalna poruka", "proslijeđena poruka",
	"prosleđena poruka", "izvirno sporočilo", "posredovano sporočilo",
	"originali žinutė", "sākotnējā ziņa", "algne kiri", "missatge original",
	"پیام اصلی", "मूल संदेश",
};

/* First words of an attribution ("On ... wrote:"), folded, with the space. */
static const char *const oracle_qw_attr_start[] = {
	"on ", "am ", "le ", "el ", "op ", "il ", "em ", "den ", "w dniu ", "dne ", "dňa ",
	"på ", "in data ", "στις ", "в ", "у ", "dana ", "pe ", "vào ", "pada ", "tanggal ",
	"kom ", "o ", "i ", "el dia ", "ngày ", "المرسل ", "ב-", "ב־", "tarihinde ",
	"le ven", "date: ",
};

/* First words of the line a phone or app adds under the writer's words. */
static const char *const oracle_qw_mobile_sig[] = {
	"sent from my ", "sent from outlook", "sent from mail for", "sent from yahoo mail",
	"get outlook for ", "gesendet von outlook", "gesendet von meinem ", "von meinem iphone gesendet",
	"envoyé de mon ", "envoyé depuis ", "télécharger outlook pour", "enviado desde mi ",
	"enviado do meu ", "enviado a partir do", "inviato da ", "inviato dal mio ",
	"verzonden vanaf mijn ", "verstuurd vanaf mijn ", "skickat från min ", "sendt fra min ",
	"wysłane z mojego ", "wysłano z ", "odesláno z ", "отправлено с ", "отправлено из ",
	"надіслано з ", "iphone'umdan gönderildi", "从我的iphone发送", "iphoneから送信",
};

/* Header names of an Outlook-style block, folded, without the colon. */
static const char *const oracle_qw_hdr_from[] = {
	"from", "von", "de", "da", "van", "från", "fra", "frá", "od", "от", "от кого",
	"من", "kimden", "gönderen", "feladó", "lähettäjä", "από", "מאת", "发件人", "寄件者",
	"差出人", "보낸 사람", "từ", "dari", "pengirim", "จาก", "saatja", "sūtītājs", "nuo",
	"pošiljatelj", "šalje", "відправник", "від", "подател", "expéditeur", "expediteur",
	"remitente", "mittente", "afzender", "avsändare", "afsender", "avsender", "nadawca",
	"odesílatel", "odosielateľ", "expeditor", "αποστολέας", "отправитель", "فرستنده", "प्रेषक",
};
static const char *const oracle_qw_hdr_sent[] = {
	"sent", "date", "gesendet", "datum", "envoyé", "envoyé le", "date d'envoi", "enviado",
	"enviada", "enviado el", "fecha", "inviato", "data", "verzonden", "skickat", "sendt",
	"dato", "lähetetty", "päivämäärä", "wysłano", "wysłane", "data wysłania", "odesláno",
	"datum odeslání", "odoslané", "elküldve", "dátum", "trimis", "στάλθηκε",
	"ημερομηνία", "отправлено", "дата", "надіслано", "изпратено", "gönderildi", "tarih",
	"تم الإرسال", "التاريخ", "أرسلت", "נשלח", "תאריך", "发送时间", "日期", "寄件日期",
	"送信日時", "日付", "보낸 날짜", "날짜", "ngày gửi", "ngày", "dikirim", "tanggal",
	"terkirim", "ส่ง", "วันที่", "poslano", "poslato", "послато", "išsiųsta", "nosūtīts",
	"saadetud", "message du", "sent at", "ارسال شده", "भेजा गया", "enviat",
};
static const char *const oracle_qw_hdr_other[] = {
	"to", "cc", "bcc", "subject", "reply-to", "an", "betreff", "kopie", "à", "a",
	"objet", "para", "asunto", "oggetto", "aan", "onderwerp", "till", "ämne", "kopia",
	"til", "emne", "kopi", "assunto", "vastaanottaja", "aihe", "kopio", "do", "temat",
	"dw", "komu", "předmět", "kópia", "predmet", "címzett", "tárgy", "másolat", "către",
	"catre", "subiect", "προς", "θέμα", "κοιν", "кому", "тема", "копия", "до", "копія",
	"на", "относно", "kime", "konu", "bilgi", "إلى", "الموضوع", "نسخة", "אל", "נושא",
	"עותק", "收件人", "主题", "抄送", "收件者", "主旨", "副本", "宛先", "件名", "받는 사람",
	"제목", "참조", "đến", "chủ đề", "kepada", "perihal", "subjek", "ถึง", "เรื่อง",
	"prima", "primatelj", "za", "zadeva", "kam", "gavėjas", "tema", "saņēmējs",
	"temats", "adressaat", "teema", "گیرنده", "موضوع", "प्रति", "विषय", "assumpte",
};

/* Lower-case the scripts markers are written in (ASCII, Latin-1, Latin
   Extended-A, Greek, Cyrillic) into out; other bytes are copied. Returns
   the folded length (never more than outmax; folding keeps lengths). */
static size_t oracle_quote_fold(const char *s, size_t len, char *out, size_t outmax)
{
	size_t n = len < outmax ? len : outmax;

	memcpy(out, s, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i], d;
		if (c >= 'A' && c <= 'Z') {
			out[i] = (char)(c + 32);
			continue;
		}
		if (c < 0xc0 || i + 1 >= n)
			continue;
		d = (unsigned char)out[i + 1];
		unsigned cp = ((unsigned)(c & 0x1f) << 6) | (d & 0x3f);
		unsigned lo = cp;
		if (c >= 0xe0 || (d & 0xc0) != 0x80)
			continue;
		if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
			lo = cp + 0x20;					/* Latin-1 */
		else if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
			lo = cp | 1;					/* Latin Ext-A pairs */
		else if (cp >= 0x139 && cp <= 0x148 && (cp & 1))
			lo = cp + 1;
		else if (cp >= 0x391 && cp <= 0x3a9)
			lo = cp + 0x20;					/* Greek */
		else if (cp >= 0x410 && cp <= 0x42f)
			lo = cp + 0x20;					/* Cyrillic */
		else if (cp >= 0x400 && cp <= 0x40f)
			lo = cp + 0x50;
		if (lo != cp && lo < 0x800) {
			out[i] = (char)(0xc0 | (lo >> 6));
			out[i + 1] = (char)(0x80 | (lo & 0x3f));
		}
		i++;
	}
	return n;
}

/* Is the byte part of a word (ASCII letter or digit, or any UTF-8 byte)? */
static bool oracle_qw_wordch(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

/* Is s[0..len) exactly one of the words? (The first byte is compared
   first: most words of a line start with none of the list's.) */
static bool oracle_qw_in(const char *s, size_t len, const char *const *list, size_t n)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (list[i][0] == s[0] && strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

/* Does the folded text hold a verb of an attribution as a word? */
static bool oracle_quote_words_wrote(const char *folded, size_t len)
{
	for (size_t i = 0; i < len;) {
		while (i < len && !oracle_qw_wordch((unsigned char)folded[i]))
			i++;
		size_t b = i;
		while (i < len && oracle_qw_wordch((unsigned char)folded[i]))
			i++;
		if (i > b && oracle_qw_in(folded + b, i - b, oracle_qw_wrote, ORACLE_QNELEM(oracle_qw_wrote)))
			return true;
	}
	/* Every CJK verb starts with a byte >= 0x80: an ASCII line has none,
	   and elsewhere only the places of its first byte are compared. */
	for (size_t k = 0; k < ORACLE_QNELEM(oracle_qw_wrote_cjk); k++) {
		const char *w = oracle_qw_wrote_cjk[k];
		size_t wl = strlen(w);
		const char *p = folded, *end = folded + len;

		while (wl <= (size_t)(end - p) &&
		       (p = memchr(p, w[0], (size_t)(end - p) - wl + 1)) != NULL) {
			if (memcmp(p, w, wl) == 0)
				return true;
			p++;
		}
	}
	return false;
}

/* Is the folded text (dashes removed) a separator title? */
static bool oracle_quote_words_title(const char *folded, size_t len)
{
	return oracle_qw_in(folded, len, oracle_qw_titles, ORACLE_QNELEM(oracle_qw_titles));
}

/* Does s[0..len) start with one of the words? */
static bool oracle_qw_starts(const char *s, size_t len, const char *const *list, size_t n)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (list[i][0] != s[0])
			continue;
		size_t wl = strlen(list[i]);
		if (len >= wl && memcmp(s, list[i], wl) == 0)
			return true;
	}
	return false;
}

/* Does the folded line start like an attribution? */
static bool oracle_quote_words_attr_start(const char *folded, size_t len)
{
	return oracle_qw_starts(folded, len, oracle_qw_attr_start, ORACLE_QNELEM(oracle_qw_attr_start));
}

/* Is the folded line a "Sent from my iPhone" line? */
static bool oracle_quote_words_mobile_sig(const char *folded, size_t len)
{
	return oracle_qw_starts(folded, len, oracle_qw_mobile_sig, ORACLE_QNELEM(oracle_qw_mobile_sig));
}

/* Which header a folded header name is. */
static enum oracle_quote_hdr oracle_quote_words_header(const char *folded, size_t len)
{
	if (oracle_qw_in(folded, len, oracle_qw_hdr_from, ORACLE_QNELEM(oracle_qw_hdr_from)))
		return OQH_FROM;
	if (oracle_qw_in(folded, len, oracle_qw_hdr_sent, ORACLE_QNELEM(oracle_qw_hdr_sent)))
		return OQH_SENT;
	if (oracle_qw_in(folded, len, oracle_qw_hdr_other, ORACLE_QNELEM(oracle_qw_hdr_other)))
		return OQH_OTHER;
	return OQH_UNKNOWN;
}
/* ---- quote-attrib.c at 098fb02 ---- */


/* Is the byte an ASCII digit? */
static bool oracle_qa_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Is the byte part of a word (ASCII letter or digit, or any UTF-8 byte)? */
static bool oracle_qa_wordch(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || oracle_qa_digit(c) || c >= 0x80;
}

/* Length of an invisible direction mark (U+200E, U+200F, U+202A-U+202E) at s. */
static size_t oracle_qa_mark(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	if (len >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0x8e || u[2] == 0x8f || (u[2] >= 0xaa && u[2] <= 0xae)))
		return 3;
	return 0;
}

/* Drop blanks and direction marks at both ends. */
static void oracle_quote_trim(const char **s, size_t *len)
{
	for (;;) {
		size_t m = oracle_qa_mark(*s, *len);
		if (*len > 0 && (**s == ' ' || **s == '\t'))
			m = 1;
		if (m == 0)
			break;
		*s += m;
		*len -= m;
	}
	for (;;) {
		if (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
			(*len)--;
		else if (*len >= 3 && oracle_qa_mark(*s + *len - 3, 3) == 3)
			*len -= 3;
		else
			break;
	}
}

/* Does the text hold an email address (word@domain.tld)? */
static bool oracle_quote_has_address(const char *s, size_t len)
{
	for (size_t i = 1; i + 3 < len; i++) {
		if (s[i] != '@' || !oracle_qa_wordch((unsigned char)s[i - 1]))
			continue;
		bool dot = false;
		size_t j = i + 1;
		while (j < len && (oracle_qa_wordch((unsigned char)s[j]) || s[j] == '.' || s[j] == '-')) {
			if (s[j] == '.' && j > i + 1)
				dot = true;
			j++;
		}
		if (dot)
			return true;
	}
	return false;
}

/* Does the text hold a date or a time: a year 19xx/20xx, "10:02", "30.09.17"? */
static bool oracle_quote_has_datetime(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!oracle_qa_digit((unsigned char)s[i]) || (i > 0 && oracle_qa_digit((unsigned char)s[i - 1])))
			continue;
		size_t j = i;
		while (j < len && oracle_qa_digit((unsigned char)s[j]))
			j++;
		size_t run = j - i;
		if (run == 4 && (s[i] == '1' || s[i] == '2') && (s[i + 1] == '9' || s[i + 1] == '0'))
			return true;
		if (run > 2 || j + 2 >= len)
			continue;
		char sep = s[j];
		size_t k = j + 1, r2;
		while (k < len && oracle_qa_digit((unsigned char)s[k]))
			k++;
		r2 = k - j - 1;
		if (sep == ':' && r2 == 2)
			return true;	/* a time */
		if ((sep == '.' || sep == '/' || sep == '-') && r2 >= 1 && r2 <= 2 &&
		    k + 2 < len && s[k] == sep && oracle_qa_digit((unsigned char)s[k + 1]) &&
		    oracle_qa_digit((unsigned char)s[k + 2]))
			return true;	/* 30.09.17, 9/30/2017 */
	}
	return false;
}

/* Is the line "Name: value" with a short name of words (no digits, no
   punctuation of a sentence or a URL)? Leading '*' (HTML bold) is skipped. */
static bool oracle_quote_header_name(const char *s, size_t len, const char **name_r, size_t *name_len_r)
{
	static const char bad[] = "@<>/.,;()[]\"=#?!|\\{}+&%$";
	size_t words = 1, colon;

	while (len > 0 && *s == '*') {
		s++;
		len--;
	}
	for (colon = 0; colon < len && colon <= ORACLE_QUOTE_HDR_NAME_MAX; colon++) {
		unsigned char c = (unsigned char)s[colon];
		if (c == ':' || (c == 0xef && colon + 2 < len &&
				 (unsigned char)s[colon + 1] == 0xbc &&
				 (unsigned char)s[colon + 2] == 0x9a))
			break;
		if (oracle_qa_digit(c) || (c < 0x80 && strchr(bad, c) != NULL))
			return false;
		if (c == ' ' && colon > 0 && s[colon - 1] != ' ')
			words++;
	}
	if (colon >= len || colon > ORACLE_QUOTE_HDR_NAME_MAX)
		return false;
	if (s[colon] == ':' && colon + 1 < len && s[colon + 1] == '/')
		return false;	/* a URL */
	size_t nl = colon;
	while (nl > 0 && (s[nl - 1] == ' ' || s[nl - 1] == '*'))
		nl--;
	if (nl == 0 || s[0] == '-' || words > ORACLE_QUOTE_HDR_WORDS_MAX + (nl < colon ? 1 : 0))
		return false;
	*name_r = s;
	*name_len_r = nl;
	return true;
}

/* Give a line its kind; for a header line also which header. */
static enum oracle_quote_kind oracle_quote_classify(const char *s, size_t len, enum oracle_quote_hdr *hdr_r)
{
	char fold[ORACLE_QUOTE_FOLD_MAX];
	const char *name;
	size_t nl, lead = 0, fl;

	*hdr_r = OQH_UNKNOWN;
	if ((len == 3 && memcmp(s, "-- ", 3) == 0) || (len == 2 && memcmp(s, "--", 2) == 0))
		return OQK_SIG;
	oracle_quote_trim(&s, &len);
	if (len == 0)
		return OQK_BLANK;
	if (s[0] == '>')
		return OQK_QUOTED;
	if (len > ORACLE_QUOTE_LINE_MAX)
		return OQK_TEXT;
	while (lead < len && (s[lead] == '-' || s[lead] == '_' || s[lead] == '='))
		lead++;
	if (lead == len)
		return lead >= ORACLE_QUOTE_SEP_MIN ? OQK_SEPARATOR : OQK_TEXT;
	if (lead >= 2) {
		const char *t = s + lead;
		size_t tl = len - lead, trail = 0;
		while (tl > 0 && (t[tl - 1] == '-' || t[tl - 1] == '_' || t[tl - 1] == '=')) {
			tl--;
			trail++;
		}
		oracle_quote_trim(&t, &tl);
		if (tl > 0 && t[tl - 1] == ':')
			tl--;
		oracle_quote_trim(&t, &tl);
		fl = oracle_quote_fold(t, tl, fold, sizeof(fold));
		if (oracle_quote_words_title(fold, fl))
			return OQK_ORIGINAL;
		return trail >= 2 ? OQK_DASHTITLE : OQK_TEXT;
	}
	/* Folding keeps lengths (len <= ORACLE_QUOTE_LINE_MAX fits the buffer) and
	   ASCII punctuation: only the bytes a test reads are folded, the
	   first ORACLE_QUOTE_MOBILE_PREFIX for a phone signature, the whole line
	   only when it ends in ':'. */
	if (len <= ORACLE_QUOTE_MOBILE_MAX) {
		fl = oracle_quote_fold(s, len < ORACLE_QUOTE_MOBILE_PREFIX ? len : ORACLE_QUOTE_MOBILE_PREFIX,
				fold, sizeof(fold));
		if (oracle_quote_words_mobile_sig(fold, fl))
			return OQK_SIG;	/* what follows is history or signature */
	}
	if (s[len - 1] == ':') {
		fl = oracle_quote_fold(s, len, fold, sizeof(fold));
		if (oracle_quote_words_title(fold, fl - 1))
			return OQK_ORIGINAL;	/* "Begin forwarded message:" */
	}
	if (oracle_quote_header_name(s, len, &name, &nl)) {
		fl = oracle_quote_fold(name, nl, fold, sizeof(fold));
		*hdr_r = oracle_quote_words_header(fold, fl);
		/* "Bob Smith wrote:" has no value: a header only when the name is known */
		const char *v = memchr(name + nl, ':', len - (size_t)(name + nl - s));
		size_t vl = v != NULL ? len - (size_t)(v + 1 - s) : 0;
		if (v != NULL)
			v++;
		while (vl > 0 && (*v == ' ' || *v == '*')) {
			v++;
			vl--;
		}
		if (vl > 0 || *hdr_r != OQH_UNKNOWN)
			return OQK_HEADER;
		*hdr_r = OQH_UNKNOWN;
	}
	return OQK_TEXT;
}

/* Header lines from i: a block when three or more, one with an address and
   one with a date; STRONG when the names are known or a separator is above. */
static enum oracle_quote_conf oracle_quote_header_block(const struct oracle_quote_line *l, size_t n, size_t i,
				   bool after_separator)
{
	size_t headers = 0, known = 0;
	bool from = false, sent = false, other = false, addr = false, date = false;

	for (size_t j = i; j < n && j < i + ORACLE_QUOTE_HDR_WINDOW; j++) {
		if (l[j].kind != OQK_HEADER &&
		    !(l[j].kind == OQK_TEXT && j > i && j + 1 < n && l[j + 1].kind == OQK_HEADER))
			break;	/* only a wrapped value may sit between two headers */
		if (l[j].kind == OQK_HEADER) {
			headers++;
			known += l[j].hdr != OQH_UNKNOWN;
			from |= l[j].hdr == OQH_FROM;
			sent |= l[j].hdr == OQH_SENT;
			other |= l[j].hdr == OQH_OTHER;
		}
		size_t len = l[j].len < ORACLE_QUOTE_LINE_MAX ? l[j].len : ORACLE_QUOTE_LINE_MAX;
		addr |= oracle_quote_has_address(l[j].s, len);
		date |= oracle_quote_has_datetime(l[j].s, len);
	}
	if (headers < 3)
		return OQC_NONE;
	if (from && sent && other)
		return OQC_STRONG;
	if (addr && date)
		return known >= 2 || after_separator ? OQC_STRONG : OQC_WEAK;
	return OQC_NONE;
}

/* Does the (trimmed) line end in ':' or a full-width colon? */
static bool oracle_qa_colon_end(const char *s, size_t len)
{
	return (len > 0 && s[len - 1] == ':') ||
	       (len >= 3 && memcmp(s + len - 3, "\xef\xbc\x9a", 3) == 0);
}

/* Does the line end a sentence (so cannot be the first half of an attribution)? */
static bool oracle_qa_sentence_end(const char *s, size_t len)
{
	oracle_quote_trim(&s, &len);
	return len == 0 || s[len - 1] == '.' || s[len - 1] == '!' || s[len - 1] == '?';
}

/* Evidence of an attribution in the lines start..i joined. */
struct oracle_qa_evidence {
	bool wrote, addr, date, named;	/* named: "Name" <addr>, (addr), «addr» */
};

/* Collect evidence over lines start..i (each at most a marker line long). */
static void oracle_qa_collect(const struct oracle_quote_line *l, size_t start, size_t i,
		       struct oracle_qa_evidence *ev)
{
	char fold[ORACLE_QUOTE_FOLD_MAX];

	memset(ev, 0, sizeof(*ev));
	for (size_t k = start; k <= i; k++) {
		size_t len = l[k].len < ORACLE_QUOTE_LINE_MAX ? l[k].len : ORACLE_QUOTE_LINE_MAX;
		size_t fl = oracle_quote_fold(l[k].s, len, fold, sizeof(fold));
		ev->wrote |= oracle_quote_words_wrote(fold, fl);
		ev->addr |= oracle_quote_has_address(l[k].s, len);
		ev->date |= oracle_quote_has_datetime(l[k].s, len);
		ev->named |= memchr(l[k].s, '<', len) != NULL || memchr(l[k].s, '"', len) != NULL ||
			     memchr(l[k].s, '(', len) != NULL;
	}
}

/* Line i ends an attribution? Finds where it starts (wrapped lines above). */
static enum oracle_quote_conf oracle_quote_attribution(const struct oracle_quote_line *l, size_t n, size_t i,
				  size_t *start_r)
{
	char fold[ORACLE_QUOTE_FOLD_MAX];
	const char *s = l[i].s;
	size_t len = l[i].len, start = i, total;
	struct oracle_qa_evidence ev;
	bool colon, wrote_end = false;

	oracle_quote_trim(&s, &len);
	if (l[i].kind != OQK_TEXT || len == 0 || len > ORACLE_QUOTE_LINE_MAX)
		return OQC_NONE;
	colon = oracle_qa_colon_end(s, len);
	if (!colon) {
		/* Only the last word is folded: folding keeps lengths and which
		   bytes are word bytes, and most lines end in no verb at all. */
		size_t b = len, fl;
		while (b > 0 && oracle_qa_wordch((unsigned char)s[b - 1]))
			b--;
		fl = oracle_quote_fold(s + b, len - b, fold, sizeof(fold));
		wrote_end = fl > 0 && oracle_quote_words_wrote(fold, fl);
		if (!wrote_end)
			return OQC_NONE;
	}
	/* history must follow */
	size_t next = i + 1;
	while (next < n && l[next].kind == OQK_BLANK)
		next++;
	if (next >= n)
		return OQC_NONE;
	total = len;
	for (size_t k = i; k-- > 0 && k + ORACLE_QUOTE_ATTR_LINES > i;) {
		if (l[k].kind != OQK_TEXT || oracle_qa_sentence_end(l[k].s, l[k].len))
			break;
		total += l[k].len + 1;
		if (total > ORACLE_QUOTE_LINE_MAX)
			break;
		size_t fl = oracle_quote_fold(l[k].s, l[k].len, fold, sizeof(fold));
		const char *f = fold;
		oracle_quote_trim(&f, &fl);
		if (oracle_quote_words_attr_start(f, fl)) {
			start = k;
			break;
		}
		if (oracle_quote_has_datetime(l[k].s, l[k].len) || oracle_quote_has_address(l[k].s, l[k].len))
			start = k;
	}
	oracle_qa_collect(l, start, i, &ev);
	*start_r = start;
	if (ev.wrote && (ev.addr || ev.date))
		return OQC_STRONG;
	if (colon && ev.addr && ev.date && ev.named)
		return OQC_STRONG;	/* "30.09.2017, 18:30, "Name" <addr>:" */
	/* "Bob wrote:", "<addr> 30.09.2017 [verb we do not know]:": only a doubt.
	   An address or a date alone is not: agents write "mail billing@...:". */
	if (colon && (ev.wrote || (ev.addr && ev.date)))
		return OQC_WEAK;
	return OQC_NONE;
}

/* "---- some words ----": the Zoho attribution, or a title over a header block. */
static enum oracle_quote_conf oracle_quote_dashtitle(const struct oracle_quote_line *l, size_t n, size_t i)
{
	char fold[ORACLE_QUOTE_FOLD_MAX];
	size_t len = l[i].len < ORACLE_QUOTE_LINE_MAX ? l[i].len : ORACLE_QUOTE_LINE_MAX;
	size_t fl = oracle_quote_fold(l[i].s, len, fold, sizeof(fold)), j;

	if (oracle_quote_words_wrote(fold, fl) &&
	    (oracle_quote_has_address(l[i].s, len) || oracle_quote_has_datetime(l[i].s, len)))
		return OQC_STRONG;
	for (j = i + 1; j < n && l[j].kind == OQK_BLANK; j++)
		;
	if (j < n && l[j].kind == OQK_HEADER)
		return oracle_quote_header_block(l, n, j, true);
	return OQC_NONE;
}
/* ---- quote.c at 098fb02 ---- */


/* Split text into classified lines (LF or CRLF). */
static struct oracle_quote_line *oracle_quote_lines(const char *text, size_t len, size_t *n_r)
{
	size_t n = 1, cap;
	struct oracle_quote_line *l;

	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	cap = n;
	l = xcalloc(cap, sizeof(*l));
	n = 0;
	for (const char *p = text, *end = text + len; p <= end && n < cap;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		l[n].s = p;
		l[n].len = (size_t)(e - p);
		if (l[n].len > 0 && p[l[n].len - 1] == '\r')
			l[n].len--;
		l[n].kind = oracle_quote_classify(l[n].s, l[n].len, &l[n].hdr);
		n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*n_r = n;
	return l;
}

/* FNV-1a over a line's words, one space between them. */
struct oracle_line_hash {
	uint64_t h;
	size_t out;		/* bytes hashed */
	bool space;		/* a separator is pending */
};

/* Hash one folded byte: a word byte, or a separator that becomes one space
   before the next word byte. */
static inline void oracle_line_hash_step(struct oracle_line_hash *st, unsigned char c, bool word)
{
	if (!word) {
		st->space = st->out > 0;
		return;
	}
	if (st->space) {
		st->h = (st->h ^ ' ') * 0x100000001b3ULL;
		st->out++;
		st->space = false;
	}
	st->h = (st->h ^ c) * 0x100000001b3ULL;
	st->out++;
}

/* Normalise a line (fold case, drop quote marks, punctuation and spacing) and
   hash it; returns the normalised length, 0 when nothing is left. */
static size_t oracle_quote_line_hash(const char *s, size_t len, uint32_t *hash_r)
{
	char fold[ORACLE_QUOTE_FOLD_MAX];
	struct oracle_line_hash st = { 0xcbf29ce484222325ULL, 0, false };

	while (len > 0 && (*s == '>' || *s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	/* An all-ASCII line (most are) needs no folding buffer: there
	   oracle_quote_fold only lower-cases. Other lines are folded as before, in
	   the same chunks, so every hash stays what the store holds. */
	size_t ascii = 0;
	while (ascii < len && (unsigned char)s[ascii] < 0x80)
		ascii++;
	for (size_t i = 0; ascii == len && i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		oracle_line_hash_step(&st, c, (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
	}
	for (size_t off = ascii == len ? len : 0; off < len;) {
		size_t fl = oracle_quote_fold(s + off, len - off, fold, sizeof(fold));
		for (size_t i = 0; i < fl; i++) {
			unsigned char c = (unsigned char)fold[i];
			oracle_line_hash_step(&st, c, (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80);
		}
		off += fl;
	}
	*hash_r = (uint32_t)(st.h ^ (st.h >> 32));
	return st.out;
}

/* Sort helper for the hashes. */
static int oracle_quote_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Public entry: see quote.h. */
static size_t oracle_hd_quote_fingerprint(const char *text, size_t len, uint32_t **hashes_r)
{
	uint32_t *h = NULL;
	size_t n = 0, cap = 0, u = 0;
	const char *p = text != NULL ? text : "", *end = p + (text != NULL ? len : 0);

	while (p < end && n < HD_QUOTE_FP_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		uint32_t v;
		if (oracle_quote_line_hash(p, (size_t)(e - p), &v) >= HD_QUOTE_FP_MIN) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				h = xrealloc(h, cap * sizeof(*h));
			}
			h[n++] = v;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (n > 0) {
		qsort(h, n, sizeof(*h), oracle_quote_cmp_u32);
		for (size_t i = 0; i < n; i++)
			if (u == 0 || h[u - 1] != h[i])
				h[u++] = h[i];
	}
	*hashes_r = h;
	return u;
}

/* Mark runs of lines the thread already held: two or more lines in a row
   (blank lines between do not break a run), or one long line, are quoted. */
static bool oracle_quote_mark_thread(struct oracle_quote_line *l, size_t n, const struct hd_quote_thread *t)
{
	size_t *norm = xcalloc(n, sizeof(*norm));
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		if (l[i].kind == OQK_BLANK)
			continue;
		norm[i] = oracle_quote_line_hash(l[i].s, l[i].len, &v);
		l[i].thread = norm[i] >= HD_QUOTE_FP_MIN &&
			      bsearch(&v, t->hashes, t->n, sizeof(v), oracle_quote_cmp_u32) != NULL;
	}
	for (size_t i = 0; i < n;) {
		if (!l[i].thread) {
			i++;
			continue;
		}
		size_t j = i, hits = 0, last = i;
		bool long_line = false;
		for (; j < n && (l[j].thread || l[j].kind == OQK_BLANK); j++)
			if (l[j].thread) {
				hits++;
				last = j;
				long_line |= norm[j] >= HD_QUOTE_FP_LONG;
			}
		if (hits >= 2 || long_line) {
			for (size_t k = i; k <= last; k++)
				l[k].region = HD_QUOTE_QUOTED;
			any = true;
		}
		i = j;
	}
	free(norm);
	return any;
}

/* Index of the next non-blank line at or after i (n when none). */
static size_t oracle_quote_next(const struct oracle_quote_line *l, size_t n, size_t i)
{
	while (i < n && l[i].kind == OQK_BLANK)
		i++;
	return i;
}

/* Is the last non-blank line before i a separator? */
static bool oracle_quote_after_separator(const struct oracle_quote_line *l, size_t i)
{
	while (i > 0 && l[i - 1].kind == OQK_BLANK)
		i--;
	return i > 0 && (l[i - 1].kind == OQK_SEPARATOR || l[i - 1].kind == OQK_DASHTITLE);
}

/* The pass from the top: regions for every line. */
static void oracle_quote_decide(struct oracle_quote_line *l, size_t n)
{
	size_t cut = n, unsure = n, start;

	for (size_t i = 0; i < n && cut == n; i++) {
		enum oracle_quote_conf c = OQC_NONE;
		switch (l[i].kind) {
		case OQK_QUOTED:
			l[i].region = HD_QUOTE_QUOTED;
			continue;
		case OQK_SIG:
		case OQK_ORIGINAL:
			cut = i;
			continue;
		case OQK_DASHTITLE:
			c = oracle_quote_dashtitle(l, n, i);
			start = i;
			break;
		case OQK_HEADER:
			if (i > 0 && l[i - 1].kind == OQK_HEADER)
				continue;	/* the block was judged at its first line */
			c = oracle_quote_header_block(l, n, i, oracle_quote_after_separator(l, i));
			start = i;
			break;
		case OQK_TEXT:
			c = oracle_quote_attribution(l, n, i, &start);
			if (c != OQC_NONE && l[oracle_quote_next(l, n, i + 1)].kind == OQK_QUOTED) {
				/* bottom or inline quoting: only the marker and the '>' lines go */
				for (size_t k = start; k <= i; k++)
					l[k].region = HD_QUOTE_QUOTED;
				continue;
			}
			break;
		default:
			continue;
		}
		if (c == OQC_STRONG)
			cut = start;
		else if (c == OQC_WEAK && unsure == n)
			unsure = start;
	}
	if (cut < n) {
		/* the separator and blank lines just above the history go too */
		while (cut > 0 && (l[cut - 1].kind == OQK_SEPARATOR || l[cut - 1].kind == OQK_BLANK))
			cut--;
		for (size_t i = cut; i < n; i++)
			l[i].region = HD_QUOTE_QUOTED;
	}
	for (size_t i = unsure; i < cut; i++)
		if (l[i].region == HD_QUOTE_AGENT)
			l[i].region = HD_QUOTE_UNSURE;
}

/* Classify and decide; returns the lines (caller frees). */
static struct oracle_quote_line *oracle_quote_run(const char *text, size_t len,
				    const struct hd_quote_thread *thread, size_t *n_r,
				    bool *thread_r)
{
	struct oracle_quote_line *l = oracle_quote_lines(text, len, n_r);

	oracle_quote_decide(l, *n_r);
	*thread_r = thread != NULL && thread->n > 0 && oracle_quote_mark_thread(l, *n_r, thread);
	return l;
}

/* Public entry: see quote.h. */
static size_t oracle_hd_quote_regions(const char *text, size_t len, const struct hd_quote_thread *thread,
			struct hd_quote_region **regions_r)
{
	struct hd_quote_region *r;
	size_t n, nr = 0;
	bool th;
	struct oracle_quote_line *l;

	if (text == NULL) {
		text = "";
		len = 0;
	}
	l = oracle_quote_run(text, len, thread, &n, &th);
	r = xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		size_t off = (size_t)(l[i].s - text);
		size_t end = i + 1 < n ? (size_t)(l[i + 1].s - text) : len;
		if (nr > 0 && r[nr - 1].kind == (enum hd_quote_kind)l[i].region) {
			r[nr - 1].len = end - r[nr - 1].off;
			continue;
		}
		r[nr].off = off;
		r[nr].len = end - off;
		r[nr].kind = (enum hd_quote_kind)l[i].region;
		nr++;
	}
	free(l);
	*regions_r = r;
	return nr;
}

/* Join the kept lines: leading blank lines and a trailing dropped tail go. */
static char *oracle_quote_join(const struct oracle_quote_line *l, size_t n, bool keep_unsure)
{
	struct strbuf sb;
	bool first = true;
	size_t last = n;

#define ORACLE_QUOTE_KEEP(x) ((x).region == HD_QUOTE_AGENT || \
		       (keep_unsure && (x).region == HD_QUOTE_UNSURE))
	while (last > 0 && (!ORACLE_QUOTE_KEEP(l[last - 1]) || l[last - 1].kind == OQK_BLANK))
		last--;
	sb_init(&sb);
	for (size_t i = 0; i < last; i++) {
		if (!ORACLE_QUOTE_KEEP(l[i]) || (first && l[i].kind == OQK_BLANK))
			continue;
		if (!first)
			sb_putc(&sb, '\n');
		sb_append(&sb, l[i].s, l[i].len);
		first = false;
	}
#undef ORACLE_QUOTE_KEEP
	return sb.s;
}

/* Public entry: see quote.h. */
static void oracle_hd_quote_split(const char *text, size_t len, const struct hd_quote_thread *thread,
		    struct hd_quote_split *split_r)
{
	struct oracle_quote_line *l;
	size_t n;

	memset(split_r, 0, sizeof(*split_r));
	if (text == NULL) {
		text = "";
		len = 0;
	}
	l = oracle_quote_run(text, len, thread, &n, &split_r->thread);
	for (size_t i = 0; i < n; i++) {
		split_r->found |= l[i].region == HD_QUOTE_QUOTED;
		split_r->uncertain |= l[i].region == HD_QUOTE_UNSURE;
	}
	split_r->agent = split_r->found ? oracle_quote_join(l, n, true) : xstrndup(text, len);
	split_r->certain = split_r->found || split_r->uncertain ? oracle_quote_join(l, n, false)
								 : xstrndup(text, len);
	free(l);
}

/* Public entry: see quote.h. */
static void oracle_hd_quote_split_free(struct hd_quote_split *split)
{
	free(split->agent);
	free(split->certain);
	split->agent = split->certain = NULL;
}

/* Public entry: see quote.h. */
static char *oracle_hd_quote_strip(const char *text, size_t len, enum hd_quote_result *result_r)
{
	struct hd_quote_split sp;

	oracle_hd_quote_split(text, len, NULL, &sp);
	if (result_r != NULL)
		*result_r = sp.found ? HD_QUOTE_FOUND
			  : sp.uncertain ? HD_QUOTE_UNCERTAIN : HD_QUOTE_NONE;
	free(sp.certain);
	return sp.agent;
}

#pragma GCC diagnostic pop
#endif
