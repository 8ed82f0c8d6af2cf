/*
 * quote-words - the words mail clients put in their reply markers, in the
 * most used mail languages (English, Chinese, Spanish, Arabic, Portuguese,
 * Russian, Japanese, German, French, Korean, Italian, Turkish, Polish, Dutch,
 * Indonesian/Malay, Vietnamese, Thai, Persian, Ukrainian, Romanian, Greek,
 * Czech, Slovak, Swedish, Norwegian, Danish, Finnish, Hungarian, Hebrew,
 * Hindi, Bulgarian, Croatian/Serbian, Slovenian, Baltic, Catalan). Written
 * for this project from the markers the clients print; they only ever add
 * confidence to a marker the structure already shows. Lookups must stay
 * bounded by the length of the text looked at: no lookup scans a whole body.
 */
#include <config.h>
#include "quote-int.h"

#include <pthread.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The verb of an attribution ("wrote"), folded, one word each. */
static const char *const qw_wrote[] = {
	"wrote", "writes", "schrieb", "geschrieben", "écrit", "escribió", "escribio",
	"escreveu", "scritto", "scrisse", "schreef", "geschreven", "skrev", "skrifaði",
	"kirjoitti", "napisał", "napisała", "napisal", "napisala", "pisze", "napsal",
	"napsala", "napísal", "napísala", "írta", "scris", "έγραψε", "писал", "писала",
	"написал", "написала", "пишет", "написав", "писав", "пише", "написа", "napisao",
	"napisala", "rašė", "rakstīja", "kirjutas", "yazdı", "كتب", "كتبت", "כתב", "כתבה",
	"نوشت", "لکھا", "लिखा", "menulis", "viết", "escriure", "idatzi", "작성",
};

/* Verbs of languages written without spaces: searched as substrings. */
static const char *const qw_wrote_cjk[] = {
	"写道", "寫道", "書きました", "のメッセージ", "님이 작성", "เขียน",
};

/* Titles between dashes: "-----Original Message-----", folded. */
static const char *const qw_titles[] = {
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
static const char *const qw_attr_start[] = {
	"on ", "am ", "le ", "el ", "op ", "il ", "em ", "den ", "w dniu ", "dne ", "dňa ",
	"på ", "in data ", "στις ", "в ", "у ", "dana ", "pe ", "vào ", "pada ", "tanggal ",
	"kom ", "o ", "i ", "el dia ", "ngày ", "المرسل ", "ב-", "ב־", "tarihinde ",
	"le ven", "date: ",
};

/* First words of the line a phone or app adds under the writer's words. */
static const char *const qw_mobile_sig[] = {
	"sent from my ", "sent from outlook", "sent from mail for", "sent from yahoo mail",
	"get outlook for ", "gesendet von outlook", "gesendet von meinem ", "von meinem iphone gesendet",
	"envoyé de mon ", "envoyé depuis ", "télécharger outlook pour", "enviado desde mi ",
	"enviado do meu ", "enviado a partir do", "inviato da ", "inviato dal mio ",
	"verzonden vanaf mijn ", "verstuurd vanaf mijn ", "skickat från min ", "sendt fra min ",
	"wysłane z mojego ", "wysłano z ", "odesláno z ", "отправлено с ", "отправлено из ",
	"надіслано з ", "iphone'umdan gönderildi", "从我的iphone发送", "iphoneから送信",
};

/* Header names of an Outlook-style block, folded, without the colon. */
static const char *const qw_hdr_from[] = {
	"from", "von", "de", "da", "van", "från", "fra", "frá", "od", "от", "от кого",
	"من", "kimden", "gönderen", "feladó", "lähettäjä", "από", "מאת", "发件人", "寄件者",
	"差出人", "보낸 사람", "từ", "dari", "pengirim", "จาก", "saatja", "sūtītājs", "nuo",
	"pošiljatelj", "šalje", "відправник", "від", "подател", "expéditeur", "expediteur",
	"remitente", "mittente", "afzender", "avsändare", "afsender", "avsender", "nadawca",
	"odesílatel", "odosielateľ", "expeditor", "αποστολέας", "отправитель", "فرستنده", "प्रेषक",
};
static const char *const qw_hdr_sent[] = {
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
static const char *const qw_hdr_other[] = {
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

/* A word list with what lets a lookup give up early, exactly: the lengths
   of its words, the shortest and the longest, and for each byte the chain
   of the words it starts (so a lookup compares only those).
   Built once (qw_ix()), read-only after, so shared by every thread. */
struct qw_index {
	const char *const *w;
	size_t n;
	uint16_t *len;		/* strlen(w[i]) */
	uint16_t *next;		/* 1 + the next word with w[i]'s first byte, 0: none */
	size_t min, max;
	uint16_t head[256];	/* 1 + the first word starting with a byte, 0: none */
	bool high_first;	/* every word starts with a byte >= 0x80 */
};

enum { QW_WROTE, QW_WROTE_CJK, QW_TITLES, QW_ATTR_START, QW_MOBILE_SIG, QW_HDR_FROM,
       QW_HDR_SENT, QW_HDR_OTHER, QW_NLISTS };

#define QW_NWORDS (NELEM(qw_wrote) + NELEM(qw_wrote_cjk) + NELEM(qw_titles) + \
		   NELEM(qw_attr_start) + NELEM(qw_mobile_sig) + NELEM(qw_hdr_from) + \
		   NELEM(qw_hdr_sent) + NELEM(qw_hdr_other))
static uint16_t qw_lens[QW_NWORDS], qw_next[QW_NWORDS];
static struct qw_index qw_lists[QW_NLISTS] = {
	[QW_WROTE] = { .w = qw_wrote, .n = NELEM(qw_wrote) },
	[QW_WROTE_CJK] = { .w = qw_wrote_cjk, .n = NELEM(qw_wrote_cjk) },
	[QW_TITLES] = { .w = qw_titles, .n = NELEM(qw_titles) },
	[QW_ATTR_START] = { .w = qw_attr_start, .n = NELEM(qw_attr_start) },
	[QW_MOBILE_SIG] = { .w = qw_mobile_sig, .n = NELEM(qw_mobile_sig) },
	[QW_HDR_FROM] = { .w = qw_hdr_from, .n = NELEM(qw_hdr_from) },
	[QW_HDR_SENT] = { .w = qw_hdr_sent, .n = NELEM(qw_hdr_sent) },
	[QW_HDR_OTHER] = { .w = qw_hdr_other, .n = NELEM(qw_hdr_other) },
};
static pthread_once_t qw_once = PTHREAD_ONCE_INIT;
static int qw_ready;		/* set (release) once qw_init() has run */

/* Fill every list's index (once, under pthread_once). */
static void qw_init(void)
{
	size_t off = 0;

	for (size_t k = 0; k < QW_NLISTS; k++) {
		struct qw_index *ix = &qw_lists[k];
		ix->len = qw_lens + off;
		ix->next = qw_next + off;
		ix->min = SIZE_MAX;
		ix->high_first = true;
		/* backwards, so that each chain is in list order */
		for (size_t i = ix->n; i-- > 0;) {
			size_t wl = strlen(ix->w[i]);	/* words are short: < 100 bytes */
			unsigned char c = (unsigned char)ix->w[i][0];
			ix->len[i] = (uint16_t)wl;
			ix->min = wl < ix->min ? wl : ix->min;
			ix->max = wl > ix->max ? wl : ix->max;
			ix->next[i] = ix->head[c];
			ix->head[c] = (uint16_t)(i + 1);
			ix->high_first &= c >= 0x80;
		}
		off += ix->n;
	}
	__atomic_store_n(&qw_ready, 1, __ATOMIC_RELEASE);
}

/* The index of list k, built on first use (pthread_once only until then). */
static inline const struct qw_index *qw_ix(unsigned k)
{
	if (!__atomic_load_n(&qw_ready, __ATOMIC_ACQUIRE))
		pthread_once(&qw_once, qw_init);
	return &qw_lists[k];
}

/* Does a word of the list start with byte c? */
static inline bool qw_first(const struct qw_index *ix, unsigned char c)
{
	return ix->head[c] != 0;
}

/* Byte classes: a word byte (ASCII letter or digit, or any UTF-8 byte). */
static const uint8_t qw_word[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, [0x80 ... 0xff] = 1,
};

/* Lower-case the scripts markers are written in (ASCII, Latin-1, Latin
   Extended-A, Greek, Cyrillic) into out; other bytes are copied. Returns
   the folded length (never more than outmax; folding keeps lengths). A
   pair is folded only when both its bytes are in the text folded, so the
   first k bytes of a fold of more than k bytes are a fold's of k + 1. */
size_t quote_fold(const char *s, size_t len, char *out, size_t outmax)
{
	size_t n = len < outmax ? len : outmax;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i], d;
		if (c < 0xc0) {
			out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			continue;
		}
		out[i] = (char)c;
		if (c >= 0xe0 || i + 1 >= n)
			continue;
		d = (unsigned char)s[i + 1];
		if ((d & 0xc0) != 0x80)
			continue;
		unsigned cp = ((unsigned)(c & 0x1f) << 6) | (d & 0x3f);
		unsigned lo = quote_fold_cp(cp);
		if (lo != cp && lo < 0x800) {
			out[i] = (char)(0xc0 | (lo >> 6));
			out[i + 1] = (char)(0x80 | (lo & 0x3f));
		} else {
			out[i + 1] = (char)d;
		}
		i++;
	}
	return n;
}

/* The first byte of quote_fold(s, len): it depends on the first two alone. */
static inline unsigned char qw_fold_first(const char *s, size_t len)
{
	unsigned char c = (unsigned char)s[0];
	char two[2];

	if (c < 0xc0)
		return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
	quote_fold(s, len < 2 ? len : 2, two, 2);
	return (unsigned char)two[0];
}

/* Is s[0..len) exactly one of the words? A length outside the list's or a
   first byte no word has ends the lookup before any comparison. */
static bool qw_in(const char *s, size_t len, const struct qw_index *ix)
{
	if (len == 0 || len < ix->min || len > ix->max)
		return false;
	for (unsigned k = ix->head[(unsigned char)s[0]]; k != 0; k = ix->next[k - 1])
		if (ix->len[k - 1] == len && memcmp(ix->w[k - 1], s, len) == 0)
			return true;
	return false;
}

/* Does the folded text hold one of the list's words as a substring? */
static bool qw_substring(const char *folded, size_t len, const struct qw_index *ix)
{
	for (size_t k = 0; k < ix->n; k++) {
		const char *w = ix->w[k];
		size_t wl = ix->len[k];
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

/* Does the folded text hold a verb of an attribution as a word? */
bool quote_words_wrote(const char *folded, size_t len)
{
	const struct qw_index *ix = qw_ix(QW_WROTE), *cjk = qw_ix(QW_WROTE_CJK);
	const unsigned char *f = (const unsigned char *)folded;
	unsigned high = 0;

	for (size_t i = 0; i < len;) {
		while (i < len && !qw_word[f[i]])
			i++;
		size_t b = i;
		while (i < len && qw_word[f[i]])
			high |= f[i++];
		if (i > b && qw_in(folded + b, i - b, ix))
			return true;
	}
	/* Only word bytes can be >= 0x80: when every CJK verb starts with
	   such a byte, an ASCII text holds none. */
	if (cjk->high_first && high < 0x80)
		return false;
	return qw_substring(folded, len, cjk);
}

/* quote_words_wrote() over the fold of s[0..len), a run of word bytes
   (folding keeps lengths and word bytes, so it stays one word); ascii
   says no byte is >= 0x80. Folds only when a list word could match. */
bool quote_words_wrote_word(const char *s, size_t len, bool ascii)
{
	const struct qw_index *ix = qw_ix(QW_WROTE), *cjk = qw_ix(QW_WROTE_CJK);
	char fold[HD_QUOTE_FOLD_MAX];

	if (len == 0)
		return false;
	if ((len < ix->min || len > ix->max || !qw_first(ix, qw_fold_first(s, len))) &&
	    ascii && cjk->high_first)
		return false;
	size_t fl = quote_fold(s, len, fold, sizeof(fold));
	return quote_words_wrote(fold, fl);
}

/* Is the folded text (dashes removed) a separator title? */
bool quote_words_title(const char *folded, size_t len)
{
	return qw_in(folded, len, qw_ix(QW_TITLES));
}

/* quote_words_title() over the first want bytes of the fold of
   s[0..avail): folds (at most want + 1 bytes) only when a title could. */
bool quote_words_title_raw(const char *s, size_t want, size_t avail)
{
	const struct qw_index *ix = qw_ix(QW_TITLES);
	char fold[HD_QUOTE_FOLD_MAX];

	if (avail > sizeof(fold))
		avail = sizeof(fold);
	if (want > avail || want == 0 || want < ix->min || want > ix->max ||
	    !qw_first(ix, qw_fold_first(s, avail)))
		return false;
	quote_fold(s, want < avail ? want + 1 : avail, fold, sizeof(fold));
	return qw_in(fold, want, ix);
}

/* Does s[0..len) start with one of the words? */
static bool qw_starts(const char *s, size_t len, const struct qw_index *ix)
{
	if (len == 0 || len < ix->min)
		return false;
	for (unsigned k = ix->head[(unsigned char)s[0]]; k != 0; k = ix->next[k - 1])
		if (len >= ix->len[k - 1] && memcmp(s, ix->w[k - 1], ix->len[k - 1]) == 0)
			return true;
	return false;
}

/* Does the folded line start like an attribution? */
bool quote_words_attr_start(const char *folded, size_t len)
{
	return qw_starts(folded, len, qw_ix(QW_ATTR_START));
}

/* Is the folded line a "Sent from my iPhone" line? */
bool quote_words_mobile_sig(const char *folded, size_t len)
{
	return qw_starts(folded, len, qw_ix(QW_MOBILE_SIG));
}

/* quote_words_mobile_sig() over the fold of the line's first
   HD_QUOTE_MOBILE_PREFIX bytes: folds only what a word could cover. */
bool quote_words_mobile_sig_raw(const char *s, size_t len)
{
	const struct qw_index *ix = qw_ix(QW_MOBILE_SIG);
	char fold[HD_QUOTE_MOBILE_PREFIX], head[3];
	size_t n = len < sizeof(fold) ? len : sizeof(fold), k = 0;

	if (n == 0 || n < ix->min || !qw_first(ix, qw_fold_first(s, n)))
		return false;
	/* the first two folded bytes (a fold of three) pick the candidates;
	   only one that starts so gets the prefix folded */
	quote_fold(s, n < 3 ? n : 3, head, sizeof(head));
	for (unsigned j = ix->head[(unsigned char)head[0]]; j != 0; j = ix->next[j - 1]) {
		size_t wl = ix->len[j - 1];
		if (n < wl || (wl >= 2 && ix->w[j - 1][1] != head[1]))
			continue;
		if (k == 0) {
			k = ix->max < n ? ix->max + 1 : n;
			quote_fold(s, k, fold, sizeof(fold));
		}
		if (memcmp(fold, ix->w[j - 1], wl) == 0)
			return true;
	}
	return false;
}

/* Which header a folded header name is. */
enum quote_hdr quote_words_header(const char *folded, size_t len)
{
	if (qw_in(folded, len, qw_ix(QW_HDR_FROM)))
		return QH_FROM;
	if (qw_in(folded, len, qw_ix(QW_HDR_SENT)))
		return QH_SENT;
	if (qw_in(folded, len, qw_ix(QW_HDR_OTHER)))
		return QH_OTHER;
	return QH_UNKNOWN;
}
