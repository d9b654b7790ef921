# ruff: noqa: E501  (the corpus texts below are prose, one sentence per line)
"""Build the bundled demo corpus (src/saring/samples/) from the texts written below.

All texts here were written for saring (no third-party content); they imitate the Indonesian web:
news with in-article boilerplate, the same story republished by gambling link farms with junk lines
appended, a gambling promotion page, honest news about gambling, Malay, Javanese and English pages,
a machine-translation-like article, personal data, duplicates and a few broken records.

    python scripts/make_sample.py      # rewrites src/saring/samples/*
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "saring" / "samples"

ARTICLES = {
    "banjir": """Banjir Rendam Ratusan Rumah di Kabupaten Bandung
Hujan deras yang mengguyur sejak Minggu malam membuat Sungai Citarum meluap dan merendam ratusan rumah di tiga kecamatan di Kabupaten Bandung.
Ketinggian air di beberapa titik mencapai satu meter. Warga yang rumahnya terendam mengungsi ke masjid dan balai desa terdekat.
Kepala Pelaksana Badan Penanggulangan Bencana Daerah setempat mengatakan petugas sudah mendirikan dapur umum dan menyiapkan perahu karet untuk mengevakuasi warga lanjut usia.
"Kami minta warga tetap waspada karena curah hujan diperkirakan masih tinggi sampai akhir pekan," ujarnya kepada wartawan, Senin pagi.
Menurut data sementara, tidak ada korban jiwa dalam peristiwa ini, tetapi sejumlah sekolah meliburkan siswanya karena ruang kelas ikut terendam.
Pemerintah daerah berjanji mempercepat normalisasi sungai yang sudah lama dikeluhkan warga karena pendangkalan.""",
    "cabai": """Harga Cabai Rawit Melonjak Jelang Lebaran
Harga cabai rawit merah di sejumlah pasar tradisional di Jakarta naik hampir dua kali lipat dalam sepekan terakhir.
Di Pasar Induk Kramat Jati, pedagang menjual cabai rawit seharga Rp90.000 per kilogram, padahal awal bulan ini masih sekitar Rp50.000.
Para pedagang menyebut pasokan dari daerah sentra di Jawa Tengah dan Jawa Timur berkurang karena cuaca buruk membuat banyak petani gagal panen.
"Pembeli jadi mengurangi belanja, biasanya beli sekilo sekarang cuma seperempat," kata Sumarni, pedagang sayur yang sudah berjualan selama dua puluh tahun.
Kementerian Perdagangan menyatakan akan menggelar operasi pasar di beberapa wilayah untuk menahan kenaikan harga.
Ekonom menilai kenaikan harga pangan menjelang hari raya hampir selalu terulang dan perlu diantisipasi dengan perbaikan rantai pasok serta gudang penyimpanan dingin.""",
    "kereta": """Jadwal Kereta Api Tambahan untuk Musim Libur Sekolah
PT Kereta Api Indonesia menambah perjalanan kereta jarak jauh selama musim libur sekolah untuk melayani lonjakan penumpang.
Sebanyak dua belas perjalanan tambahan dioperasikan dari Stasiun Gambir dan Pasar Senen menuju Yogyakarta, Surabaya, Semarang dan Malang.
Vice President Public Relations perusahaan itu mengatakan tiket perjalanan tambahan sudah bisa dipesan melalui aplikasi resmi dan loket stasiun.
Penumpang diimbau datang lebih awal karena pemeriksaan tiket dan identitas dilakukan sebelum naik kereta.
Selama masa libur, perusahaan memperkirakan jumlah penumpang naik sekitar lima belas persen dibandingkan tahun lalu.""",
    "razia": """Polisi Bongkar Jaringan Judi Online di Medan, Lima Tersangka Ditangkap
Kepolisian Daerah Sumatera Utara membongkar jaringan judi online yang beroperasi dari sebuah rumah toko di Kota Medan.
Lima orang ditangkap dalam penggerebekan pada Kamis malam, termasuk seorang operator yang mengelola puluhan rekening penampung.
Polisi menyita komputer, telepon genggam, buku tabungan dan uang tunai yang diduga hasil perjudian.
Kepala Bidang Humas Polda Sumut mengatakan para tersangka mempromosikan situs slot melalui media sosial dan pesan berantai dengan iming-iming kemenangan besar.
"Kami tidak akan memberi ruang bagi judi online karena dampaknya merusak ekonomi keluarga," tegasnya.
Para tersangka dijerat dengan pasal perjudian dalam Kitab Undang-Undang Hukum Pidana dan Undang-Undang Informasi dan Transaksi Elektronik dengan ancaman hukuman hingga sepuluh tahun penjara.""",
    "blokir": """Kominfo Blokir Ribuan Situs Judi dalam Sebulan
Kementerian Komunikasi dan Informatika memutus akses ribuan situs dan akun media sosial yang memuat konten perjudian selama bulan lalu.
Pemblokiran dilakukan berdasarkan hasil patroli siber dan laporan masyarakat melalui kanal aduan konten.
Menurut kementerian, banyak situs judi menyusup ke laman milik pemerintah daerah dan kampus dengan menyisipkan tautan promosi di halaman yang jarang diperbarui.
Pengelola situs diminta memperbarui sistem dan memeriksa halaman mereka secara berkala.
Psikolog mengingatkan bahwa kecanduan judi daring kerap berawal dari taruhan kecil dan dapat menjerat pemain dalam utang.
Masyarakat yang membutuhkan bantuan dapat menghubungi layanan konseling yang disediakan pemerintah.""",
    "umkm": """Pelaku UMKM di Yogyakarta Manfaatkan Pasar Daring
Sejumlah pelaku usaha mikro, kecil dan menengah di Yogyakarta mulai memasarkan produk kerajinan mereka melalui lokapasar dan media sosial.
Perajin batik di Kabupaten Bantul mengaku penjualan meningkat sejak mereka rutin mengunggah foto produk dan melayani pesanan dari luar pulau.
Dinas Koperasi setempat menggelar pelatihan fotografi produk, pengemasan dan pengelolaan keuangan sederhana bagi ratusan pelaku usaha.
Meski demikian, sebagian perajin masih kesulitan bersaing harga dengan produk pabrikan yang dijual jauh lebih murah.
Pemerintah daerah berencana membuat etalase bersama agar produk lokal lebih mudah ditemukan pembeli.""",
    "vaksin": """Puskesmas Gelar Imunisasi Campak untuk Anak Sekolah Dasar
Puskesmas di Kecamatan Tamalanrea, Makassar, menggelar imunisasi campak dan rubela bagi murid kelas satu sekolah dasar.
Petugas kesehatan mendatangi sekolah satu per satu dan meminta orang tua membawa buku catatan kesehatan anak.
Kepala puskesmas menjelaskan bahwa cakupan imunisasi sempat menurun selama beberapa tahun terakhir sehingga kasus campak kembali ditemukan di sejumlah daerah.
Orang tua yang ingin bertanya dapat menghubungi petugas di nomor 0812-3456-7890 atau melalui surel layanan.imunisasi@puskesmas-contoh.id.
Imunisasi diberikan gratis dan aman, demikian ditegaskan dinas kesehatan kota.""",
    "sepakbola": """Timnas Indonesia Menang Tipis atas Vietnam
Tim nasional sepak bola Indonesia menang 1-0 atas Vietnam dalam laga persahabatan di Stadion Utama Gelora Bung Karno, Selasa malam.
Gol tunggal dicetak pada menit ke-67 melalui sundulan memanfaatkan sepak pojok.
Pelatih mengaku puas dengan disiplin pemain dalam bertahan, tetapi menilai penyelesaian akhir masih harus diperbaiki.
Sekitar empat puluh ribu penonton memadati stadion dan terus bernyanyi sepanjang pertandingan.
Indonesia dijadwalkan kembali bertanding pekan depan melawan Filipina.""",
}

MALAY = """Kerajaan Umum Bantuan Tunai untuk Isi Rumah Berpendapatan Rendah
Kerajaan mengumumkan bantuan tunai tambahan kepada isi rumah berpendapatan rendah bagi meringankan beban kos sara hidup yang semakin meningkat.
Menteri Kewangan berkata bayaran akan dibuat secara berperingkat mulai bulan hadapan terus ke akaun bank penerima yang berdaftar.
Beliau menjelaskan bahawa golongan warga emas dan ibu tunggal akan menerima jumlah yang lebih tinggi kerana mereka paling terkesan dengan kenaikan harga barang.
Pemohon baharu boleh mendaftar secara dalam talian atau di pejabat daerah yang berhampiran sebelum tarikh tutup permohonan.
Ahli ekonomi berpendapat langkah itu wajar tetapi menegaskan bahawa usaha meningkatkan pendapatan isi rumah dalam jangka panjang lebih penting."""

JAVANESE = """Warga Desa Sumberrejo Gotong Royong Ndandani Dalan
Wiwit esuk warga Desa Sumberrejo padha gotong royong ndandani dalan desa sing rusak amarga udan deres.
Para bapak nggawa pacul lan watu, dene para ibu nyiapake panganan lan wedang kanggo sing padha nyambut gawe.
Pak Lurah ngendika yen dalan iku penting banget kanggo bocah-bocah sing arep mangkat sekolah lan para petani sing nggawa asil panen menyang pasar.
Sawise rampung, warga padha mangan bareng ing balai desa karo guyon lan crita."""

ENGLISH = """City Council Approves New Bicycle Lanes
The city council voted on Tuesday to build twelve kilometres of protected bicycle lanes across the downtown area.
Supporters said the lanes would make cycling safer and reduce traffic, while some shop owners worried about losing parking spaces.
Construction is expected to start next spring and to be finished within eighteen months.
The council also asked the transport department to publish monthly data on traffic accidents along the new routes."""

MT_LIKE = """Bagaimana Untuk Meningkatkan Anda Produktivitas Di Rumah
Bekerja dari rumah dapat menjadi tantangan untuk banyak orang, tetapi ada beberapa tips yang dapat membantu Anda tetap di jalur.
Pertama-tama, itu adalah penting untuk membuat ruang kerja yang didedikasikan di mana Anda dapat fokus tanpa gangguan.
Kedua, Anda harus menetapkan jadwal reguler dan menempel untuk itu, sama seperti Anda akan melakukan di kantor.
Ketiga, mengambil istirahat pendek setiap jam dapat membantu Anda untuk menjaga energi Anda tingkat tinggi sepanjang hari.
Akhirnya, jangan lupa untuk tetap terhubung dengan rekan kerja Anda, karena isolasi dapat memiliki dampak negatif pada Anda kesejahteraan mental."""

PROMO = """SLOT GACOR HARI INI ⚡ BANDARJP88 LINK ALTERNATIF RESMI
Daftar sekarang di 𝔟𝔞𝔫𝔡𝔞𝔯𝔧𝔭𝟴𝟴 situs slot gacor maxwin terpercaya 2026!
Deposit pulsa tanpa potongan mulai 10rb, bonus new member 100% langsung cair.
RTP live tertinggi, pola gacor pragmatic play hari ini, jamin jackpot sensasional.
s l o t  g a c o r  m a x w i n  ✅ login bandarjp88 ✅ link alternatif anti blokir
Hubungi admin WA 0813-9999-8888 untuk info link terbaru.
Main sekarang, menang berapapun pasti dibayar!"""

BOILERPLATE_HEAD = ["Advertisement", "SCROLL TO CONTINUE WITH CONTENT"]
BAKA_JUGA = "Baca Juga: {title}"
SHARE = "Bagikan artikel ini: Facebook | Twitter | WhatsApp"
FOOTER = "Simak berita terbaru lainnya di kanal kami. Ikuti kami di Google News."
SPAM_TAILS = [
    ["slot gacor", "By Bandarjp88"],
    ["𝔰𝔩𝔬𝔱 𝔤𝔞𝔠𝔬𝔯 𝔪𝔞𝔵𝔴𝔦𝔫", "daftar login link alternatif PULAU777"],
    ["judi online terpercaya", "By g4cor88"],
]


def with_boilerplate(text: str, related: str) -> str:
    lines = text.split("\n")
    body = [
        lines[0],
        *BOILERPLATE_HEAD,
        *lines[1:3],
        BAKA_JUGA.format(title=related),
        *lines[3:],
        SHARE,
        FOOTER,
    ]
    return "\n".join(body)


def records() -> list[dict]:
    out: list[dict] = []
    titles = {key: text.split("\n")[0] for key, text in ARTICLES.items()}
    keys = list(ARTICLES)
    for i, key in enumerate(keys):
        related = titles[keys[(i + 1) % len(keys)]]
        out.append(
            {
                "id": f"news-{key}",
                "url": f"https://berita-contoh.co.id/{2026}/{i + 1:02d}/{key}",
                "text": with_boilerplate(ARTICLES[key], related),
                "crawl_date": f"2026-10-0{i % 9 + 1}",
            }
        )
    # the same stories republished by gambling link farms, each with its own junk at the tail
    for i, key in enumerate(["banjir", "cabai", "razia"]):
        for j, host in enumerate(["slotgacor-news.xyz", "beritaterkini88.top"]):
            tail = SPAM_TAILS[(i + j) % len(SPAM_TAILS)]
            out.append(
                {
                    "id": f"farm-{key}-{j}",
                    "url": f"http://{host}/artikel/{key}-{i}{j}",
                    "text": "\n".join([*ARTICLES[key].split("\n"), *tail]),
                }
            )
    out.append(
        {"id": "copy-kereta", "url": "https://mirror-berita.example/kereta", "text": ARTICLES["kereta"]}
    )
    out.append(
        {"id": "copy-kereta-2", "url": "https://mirror-berita.example/kereta-2", "text": ARTICLES["kereta"]}
    )
    out.append({"id": "promo-1", "url": "http://bandarjp88-login.xyz/", "text": PROMO})
    out.append(
        {
            "id": "promo-2",
            "url": "http://bandarjp88-login.xyz/daftar",
            "text": PROMO.replace("BANDARJP88", "PULAU777"),
        }
    )
    out.append({"id": "malay-1", "url": "https://berita-my.example/bantuan-tunai", "text": MALAY})
    out.append({"id": "javanese-1", "url": "https://desa-contoh.example/gotong-royong", "text": JAVANESE})
    out.append({"id": "english-1", "url": "https://citynews.example/bike-lanes", "text": ENGLISH})
    out.append({"id": "mt-1", "url": "https://tips-harian.example/produktivitas", "text": MT_LIKE})
    out.append({"id": "short-1", "url": "https://berita-contoh.co.id/tag/banjir", "text": "Banjir"})
    out.append({"id": "empty-1", "url": "https://berita-contoh.co.id/kosong", "text": ""})
    return out


def jsonl_bytes(items: list[dict]) -> bytes:
    lines = [json.dumps(item, ensure_ascii=False).encode() for item in items]
    # broken records, as crawls have them: malformed JSON, invalid UTF-8, a record without text
    lines.insert(5, b'{"id": "broken-json", "text": "Kalimat yang terpotong di tengah')
    lines.insert(9, b'{"id": "bad-utf8", "text": "Caf\xe9 \xff\xfe tidak valid"}')
    lines.insert(13, b'{"id": "no-text", "title": "Berita tanpa isi"}')
    return b"\n".join(lines) + b"\n"


def html_page(title: str, body: str, extra: str = "") -> str:
    paragraphs = "\n".join(f"<p>{line}</p>" for line in body.split("\n")[1:])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav><a href='/'>Beranda</a> | <a href='/nasional'>Nasional</a> | <a href='/ekonomi'>Ekonomi</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>{extra}"
        f"<footer>Hak cipta 2026 Portal Contoh. Semua hak dilindungi.</footer></body></html>"
    )


def warc_record(uri: str, html: str, record_id: int) -> bytes:
    payload = html.encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + payload
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{record_id:012d}>\r\n"
        f"WARC-Target-URI: {uri}\r\nWARC-Date: 2026-10-01T00:00:00Z\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return head + http + b"\r\n\r\n"


def warc_bytes() -> bytes:
    members = [
        warc_record(
            "https://portal-contoh.example/umkm",
            html_page(ARTICLES["umkm"].split("\n")[0], ARTICLES["umkm"]),
            1,
        ),
        warc_record(
            "https://kampus-contoh.ac.id/berita/vaksin",
            html_page(
                ARTICLES["vaksin"].split("\n")[0],
                ARTICLES["vaksin"],
                "<div style='display:none'><a href='http://bandarjp88-login.xyz/'>slot gacor</a> situs judi online</div>",
            ),
            2,
        ),
        # a broken record: the header says 500 bytes, the framing is garbage
        b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: not-a-number\r\n\r\ngarbage\r\n\r\n",
        warc_record(
            "https://portal-contoh.example/bola",
            html_page(ARTICLES["sepakbola"].split("\n")[0], ARTICLES["sepakbola"]),
            3,
        ),
    ]
    buffer = io.BytesIO()
    for member in members:  # one gzip member per record, as in Common Crawl
        buffer.write(gzip.compress(member, mtime=0))
    return buffer.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "news.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes(records()), mtime=0))
    (OUT / "pages.warc.gz").write_bytes(warc_bytes())
    print(f"wrote {OUT}/news.jsonl.gz and pages.warc.gz")


if __name__ == "__main__":
    main()
