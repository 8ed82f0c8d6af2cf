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

/* Lower-case the scripts markers are written in (ASCII, Latin-1, Latin
   Extended-A, Greek, Cyrillic) into out; other bytes are copied. Returns
   the folded length (never more than outmax; folding keeps lengths). */
size_t quote_fold(const char *s, size_t len, char *out, size_t outmax)
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
static bool qw_wordch(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

/* Is s[0..len) exactly one of the words? (The first byte is compared
   first: most words of a line start with none of the list's.) */
static bool qw_in(const char *s, size_t len, const char *const *list, size_t n)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (list[i][0] == s[0] && strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

/* Does the folded text hold a verb of an attribution as a word? */
bool quote_words_wrote(const char *folded, size_t len)
{
	for (size_t i = 0; i < len;) {
		while (i < len && !qw_wordch((unsigned char)folded[i]))
			i++;
		size_t b = i;
		while (i < len && qw_wordch((unsigned char)folded[i]))
			i++;
		if (i > b && qw_in(folded + b, i - b, qw_wrote, NELEM(qw_wrote)))
			return true;
	}
	/* Every CJK verb starts with a byte >= 0x80: an ASCII line has none,
	   and elsewhere only the places of its first byte are compared. */
	for (size_t k = 0; k < NELEM(qw_wrote_cjk); k++) {
		const char *w = qw_wrote_cjk[k];
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
bool quote_words_title(const char *folded, size_t len)
{
	return qw_in(folded, len, qw_titles, NELEM(qw_titles));
}

/* Does s[0..len) start with one of the words? */
static bool qw_starts(const char *s, size_t len, const char *const *list, size_t n)
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
bool quote_words_attr_start(const char *folded, size_t len)
{
	return qw_starts(folded, len, qw_attr_start, NELEM(qw_attr_start));
}

/* Is the folded line a "Sent from my iPhone" line? */
bool quote_words_mobile_sig(const char *folded, size_t len)
{
	return qw_starts(folded, len, qw_mobile_sig, NELEM(qw_mobile_sig));
}

/* Which header a folded header name is. */
enum quote_hdr quote_words_header(const char *folded, size_t len)
{
	if (qw_in(folded, len, qw_hdr_from, NELEM(qw_hdr_from)))
		return QH_FROM;
	if (qw_in(folded, len, qw_hdr_sent, NELEM(qw_hdr_sent)))
		return QH_SENT;
	if (qw_in(folded, len, qw_hdr_other, NELEM(qw_hdr_other)))
		return QH_OTHER;
	return QH_UNKNOWN;
}
