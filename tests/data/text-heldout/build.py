#!/usr/bin/env python3
"""Builds notes.jsonl (held-out-style text set) from the hand-written notes below.

Markup: [[TYPE:value]] is a gold PHI span, <<KIND:value>> a decoy (a look-alike that is not PHI).
Type codes are the taxonomy labels of ../../../../shared/data/text-dev/TAXONOMY.md (short forms
below). Check digits (My Number, insurer numbers, cards) are computed here so they are valid.
Person names, addresses and numbers are invented; facility and place names may be real public places.

    python3 tests/data/text-heldout/build.py   # rewrites notes.jsonl next to this file
"""
import json
import pathlib
import re

T = {
    "N": "NAME", "D": "DATE", "A": "AGE", "AD": "ADDRESS", "L": "LOCATION", "PC": "POSTAL_CODE",
    "PH": "PHONE", "EM": "EMAIL", "U": "URL", "IP": "IP_ADDRESS", "MN": "MY_NUMBER",
    "INS": "INSURANCE_ID", "PID": "PATIENT_ID", "RID": "RECORD_ID", "PP": "PASSPORT",
    "DL": "DRIVER_LICENSE", "PEN": "PENSION_NO", "CC": "CREDIT_CARD", "BA": "BANK_ACCOUNT",
    "SSN": "SSN", "OID": "OTHER_ID", "F": "FACILITY",
}


def mn(body):
    """My Number: 11 digits + check digit (番号法施行令 第8条)."""
    total = 0
    for n in range(1, 12):
        p = int(body[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return body + str(0 if r <= 1 else 11 - r)


def luhn(body):
    """Appends the Luhn digit (cards, 保険者番号, 公費負担者番号)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def grp(n, sizes, sep):
    out, i = [], 0
    for k in sizes:
        out.append(n[i:i + k])
        i += k
    return sep.join(out)


FW = str.maketrans("0123456789-", "０１２３４５６７８９－")

JA = [
    # 1 nursing note, label-less surname mentions after a first full mention
    ("nursing_note", f"""【看護記録】[[D:2024年5月12日]]　日勤
患者：[[N:高橋 和夫]]様（[[A:78歳]]）　<<ROOM:502号室>>
10:00 [[N:高橋]]、ナースコールにて疼痛訴えあり。ロキソプロフェン60mg <<DOSE:1-0-1>> 内服継続。
14:00 妻の[[N:高橋 恵子]]様面会。退院後の生活について相談あり。
16:30 [[N:高橋]]は午後から離床進み、歩行器で病棟内歩行。SpO2 97%、BP <<BP:128/76>>。
記載者　[[N:佐野]]"""),
    # 2 pediatric nursing: くん/ちゃん, given name alone, mother
    ("nursing_note", """小児科病棟　経過記録
[[D:R6.2.14]]　[[N:小松 翔太]]くん（[[A:7歳]]）
母親の[[N:小松 由香]]さん付き添い。夜間 38.5℃ の発熱あり、アセトアミノフェン 150mg 使用。
朝には[[N:翔太]]くん解熱し、妹の[[N:美咲]]ちゃんと面会時に笑顔みられる。
担当看護師：[[N:大西]]"""),
    # 3 discharge summary, address without prefecture and kanji numerals
    ("discharge_summary", f"""退院サマリー
氏名　[[N:岡本 理沙]]（[[N:オカモト リサ]]）　女性　[[A:45歳]]
生年月日　[[D:昭和53年11月3日]]
住所　[[AD:世田谷区桜丘三丁目二番十五号]]
入院日 [[D:2023/10/02]]　退院日 [[D:2023/10/19]]
診断：急性胆嚢炎（<<ICD10:K81.0>>）。腹腔鏡下胆嚢摘出術を[[D:10月5日]]に施行。
術後経過良好。WBC <<LAB:8900>>→<<LAB:5200>>、CRP 12.4→0.8。
退院後は当院外科外来へ[[D:11月1日]]受診予定。
主治医　[[N:中川 修]]"""),
    # 4 referral letter to a doctor, 御侍史, facility names with 市立/県立
    ("referral_letter", """診療情報提供書
[[F:市立札幌病院]]　循環器内科
[[N:北村 真一]] 先生 御侍史
[[D:令和5年8月21日]]
紹介元：[[F:さくら内科]]　院長 [[N:石田 浩]]
患者氏名：[[N:村上 幸子]] 様　[[D:昭和22年4月9日]]生（[[A:76歳]]）
いつも大変お世話になっております。上記患者様、労作時胸痛にて当院受診されました。
心電図で <<LEAD:V4-6>> に ST 低下を認め、精査加療をお願い申し上げます。
内服：アムロジピン 5mg <<DOSE:1-0-0>>、アスピリン 100mg <<DOSE:1-0-0>>"""),
    # 5 SOAP with a staff list and mixed Dr notation
    ("soap", """#1 2型糖尿病　#2 高血圧症
S) 「最近、足がしびれる」
O) HbA1c <<LAB:7.8>>%、空腹時血糖 142、<<TREND:098-112-135>>（3回平均）
A) 血糖コントロール不良。
P) メトホルミン 500mg 2錠 分2 へ増量。
回診：Dr [[N:鈴木]]/[[N:田中]]、Ns [[N:松本]]
次回 [[D:6/18]] 再診。"""),
    # 6 MSW: locations without address, family in other cities
    ("msw_note", """医療ソーシャルワーカー面談
本人、長男（[[L:横浜市]]在住）と面談。長女は[[L:札幌]]の実家で同居予定。
[[D:2024年1月]]より[[L:大阪府]][[L:堺市]]の有料老人ホームを見学済み。
本人は「[[L:函館]]に戻りたい」と話す。
介護保険被保険者番号 [[INS:0001234567]]、要介護2。
担当：[[N:川口 瑞穂]]（MSW）　内線 <<EXT:4521>>"""),
    # 7 Kyoto-style address and postal code without 〒
    ("discharge_summary", """【転院先情報】
転院先：[[F:洛和会音羽病院]]
所在地：[[PC:607-8062]] [[AD:京都市山科区音羽珍事町2]]
患者自宅：[[AD:京都市中京区河原町通三条上ル下丸屋町123]]
家族連絡先：長男 [[N:西村 誠]] [[PH:075-211-3456]]
転院日：[[D:令和6年3月1日]]"""),
    # 8 phones in many forms
    ("msw_note", f"""連絡先一覧（[[D:2024年4月2日]]更新）
本人携帯：{"[[PH:０９０－１２３４－５６７８]]"}
自宅：[[PH:(03)3456-7890]]
海外在住の次女 [[N:藤井 明日香]]：[[PH:+81-80-9876-5432]]
ケアマネジャー [[N:木下]]（[[F:あおぞら居宅介護支援事業所]]）：[[PH:0120-345-678]]
※ 採血結果 Hb <<LAB:12.3>>、Plt <<LAB:21.5>>万"""),
    # 9 insurance card and public expense
    ("admission_record", f"""入院受付票
受付番号 [[RID:A24-00731]]
患者番号 [[PID:00482913]]
保険者番号 [[INS:{luhn('0613002')}]]　記号 [[INS:東京4521]]　番号 [[INS:87]]　枝番 [[INS:01]]
公費負担者番号 [[INS:{luhn('5413001')}]]　受給者番号 [[INS:{luhn('123456')}]]
氏名 [[N:山口 健一]]　[[D:1958年7月30日]]生"""),
    # 10 romaji and initials in a Japanese note
    ("soap", """外国籍患者の受診記録
Patient: [[N:YAMADA Taro]]（パスポート氏名）
通訳同席。主治医 [[N:T. Yamada]] と同姓のため取り違え注意。
旅券番号 [[PP:TZ1234567]]、在留カード番号 [[OID:AB12345678CD]]
紹介医：[[N:Hiroshi Kato]]（[[F:聖路加国際病院]]）
イニシャル [[N:Y.T.]] で検体ラベル確認済み。"""),
    # 11 half-width kana on a reception slip
    ("reception", """受付票
ﾌﾘｶﾞﾅ [[N:ﾔﾏﾀﾞ ﾀﾛｳ]]
氏名 [[N:山田 太郎]]
診察券番号 [[PID:7712045]]
生年月日 [[D:H2.4.15]]（[[A:33歳]]）
電話 [[PH:048-765-4321]]"""),
    # 12 transfer from a facility named without a facility word
    ("progress_note", """経過記録
[[D:2月3日]]、[[F:みどり台ホーム]]から転院。ADL 全介助。
前医 [[F:ひまわり]]からの情報提供書あり（担当 [[N:大塚]] 医師）。
本日、長女[[N:森田 久美子]]さんが来院し、今後の方針を説明した。
BUN 32、Cr 1.45、eGFR <<LAB:36>>"""),
    # 13 era dates in all forms, age > 89
    ("discharge_summary", """【既往歴】
[[D:S45年]] 虫垂炎手術、[[D:H31/4/30]] 脳梗塞、[[D:令和元年5月1日]] 心房細動指摘。
[[D:R6.1.2]] 転倒し右大腿骨頸部骨折。
現在 [[A:94歳]]。[[D:大正15年]]生まれ。
<<GUIDELINE:2019年版>>ガイドラインに準拠し抗凝固療法を継続。"""),
    # 14 identifiers: my number, license, pension, bank
    ("msw_note", f"""高額療養費・障害年金の申請支援
本人確認：マイナンバー [[MN:{grp(mn('38271946502'), (4, 4, 4), ' ')}]]
運転免許証 第[[DL:302145678901]]号
基礎年金番号 [[PEN:4321-098765]]
振込先：ゆうちょ銀行 記号[[BA:10180]] 番号[[BA:23456781]]（名義 [[N:ハヤシ ミノル]]）
担当 [[N:林]]（MSW）より説明。"""),
    # 15 radiology report with eponyms and look-alike nouns
    ("radiology_report", """CT 胸部（造影）　検査番号 [[RID:CT2405-1187]]
依頼医：[[N:上田]]　読影医：[[N:小野寺 直樹]]
所見：右上葉にすりガラス様陰影、結節様構造を認める。縦隔リンパ節の腫大なし。
甲状腺は橋本病に矛盾しない所見。
比較：[[D:2023年12月4日]] の前回CTより増大。
<<IMG:Se3/Im45>>"""),
    # 16 pathology report
    ("pathology_report", """病理診断報告書
標本番号 [[RID:S24-03311]]　提出医 [[N:森]]
患者 [[N:東 美和]]（[[A:62歳]]）
肉眼所見：腫瘍径 2.3×1.8cm。
診断：Invasive ductal carcinoma, <<STAGE:pT1cN0>>、ER陽性。
病理医 [[N:長谷部 亮]]"""),
    # 17 family and visitors with verbs
    ("nursing_note", """夜勤帯記録
21:00 長男の[[N:健二]]さんと孫が面会。
22:30 「家に帰りたい」と不穏あり、[[N:小島]]Nsが付き添い。
02:00 入眠。
06:00 [[N:千葉]]さん（本人）起床、朝食全量摂取。"""),
    # 18 address with 字/大字, 郡, building and room
    ("discharge_summary", """住所：〒[[PC:969-1234]] [[AD:福島県耶麻郡猪苗代町大字千代田字扇田1-2]]
緊急連絡先住所：[[AD:北海道旭川市忠和5条3丁目4-12 グリーンハイツ202号室]]
携帯：[[PH:070-2345-6789]]"""),
    # 19 e-mail, URL, IP in a system note
    ("system_note", """オンライン診療の予約確認
患者メール：[[EM:k.ishikawa@example.ne.jp]]
接続元IP [[IP:203.0.113.45]]、予約URL [[U:https://clinic.example.jp/r/8F3K2]]
氏名 [[N:石川 加奈]]　[[D:2024-03-18]] 15:30"""),
    # 20 names that are also place names / common words
    ("soap", """S) 夜間頻尿あり。
O) 尿検査：蛋白 <<LAB:1+>>、潜血（-）
A) 前立腺肥大症疑い。
P) 泌尿器科 [[N:長野]]先生へ紹介。[[D:8月10日]]
備考：東側の個室へ移動。平和な表情で過ごす。原因は不明。"""),
    # 21 referral with English title and doctors list
    ("referral_letter", """返信
[[F:医療法人社団 青葉会 青葉台クリニック]]
[[N:小川 千尋]] 先生
拝復　[[D:令和6年4月10日]]付でご紹介いただきました[[N:斎藤 実]]様（[[A:58歳]]）について。
Dr. [[N:Kenji Watanabe]] と協議の上、内視鏡的粘膜下層剥離術を施行しました。
[[F:東都大学医学部附属病院]]　消化器内科　[[N:岩田 弘]]"""),
    # 22 single-kanji surnames with honorifics
    ("progress_note", """本日 [[N:林]]様 再診。[[N:原]]先生より申し送りあり。
[[N:関]]氏（キーパーソン）に電話連絡済み。
血圧 <<BP:134/82>>、脈拍 72。内服 <<DOSE:2-0-0>> を継続。"""),
    # 23 dates in kanji numerals
    ("discharge_summary", """入院期間：[[D:平成三十年十二月三日]]〜[[D:平成三十一年一月十日]]
患者 [[N:中山 里美]]（[[A:八十二歳]]）
主訴：発熱、咳嗽。
<<UICC:UICC第8版>>に基づき病期分類。"""),
    # 24 nursing handoff, patient surname + 氏名 elsewhere
    ("nursing_note", """申し送り（[[D:5/7]]）
[[N:菊地]]：術後1日目。ドレーン排液 <<LAB:50>>ml、淡血性。
[[N:菊地]]の妻より電話あり（[[PH:090-8765-4321]]）、明日面会予定。
患者ID [[PID:AB-0093312]]"""),
    # 25 family tree with relations, 君
    ("msw_note", """家族構成：妻 [[N:恵美]]（[[A:70歳]]）、長男 [[N:大輔]]（[[A:45歳]]、[[L:名古屋市]]在住）、孫 [[N:悠真]]君。
キーパーソンは長男。[[L:北九州市]]の施設入所を検討。
本人年金：国民年金のみ。"""),
    # 26 a letter signature
    ("referral_letter", """上記の通りご報告いたします。
今後ともよろしくお願い申し上げます。

[[F:松原整形外科医院]]
院長　[[N:松原 秀樹]]
〒[[PC:530-0001]] [[AD:大阪府大阪市北区梅田1-2-3 梅田ビル5F]]
TEL [[PH:06-6345-6789]]　FAX [[PH:06-6345-6790]]"""),
    # 27 radiology with decoys only
    ("radiology_report", """MRI 腰椎
<<VERT:L4/5>> 椎間板ヘルニア。<<VERT:L5/S1>> に変性あり。
T2強調像で高信号。<<SERIES:Se5 Im12>>
前回 [[D:2022年8月]] と比較し変化なし。
読影：[[N:福田]]"""),
    # 28 full-width IDs and names with full-width space
    ("admission_record", """入院診療計画書
患者氏名　[[N:吉川　智子]]　様
カルテ番号　[[PID:０００４５６７８９]]
入院日　[[D:２０２４年６月３日]]
病名　肺炎
担当医　[[N:阿部　隆]]　担当看護師　[[N:三浦]]"""),
    # 29 care manager meeting with organisations
    ("msw_note", """退院前カンファレンス（[[D:令和6年7月19日]]）
参加者：本人、妻、[[F:訪問看護ステーションひかり]] [[N:菅原]]、
[[F:地域包括支援センター南]] [[N:荒木]]、当院 [[N:後藤]]（PT）
退院後は週2回の訪問看護を導入。"""),
    # 30 hiragana names
    ("nursing_note", """[[N:やまもと はるか]]さん（[[A:5歳]]）、母と来院。
「おなかいたい」と訴えあり。腹部エコー施行。
付き添いの祖母 [[N:山本 ちよ]]様にも説明。"""),
    # 31 bare lexicon names in ordinary words (precision)
    ("soap", """S) 食欲低下、体重減少 3kg/月。
O) 腹部平坦軟。中央に手術痕。金子や鈴の音に過敏との訴えなし。
A) 小林製薬の市販薬服用歴あり、原因検索中。
P) 上部消化管内視鏡を予約。"""),
    # 32 death/consent note
    ("progress_note", """[[D:2024年2月28日]] 04:12 永眠。
立会：妻 [[N:岡田 房子]]様、長女 [[N:岡田 真由美]]様
死亡確認：[[N:今井]]
死亡診断書を作成し、ご家族へお渡しした。"""),
    # 33 credit card on a billing note
    ("financial_note", f"""医療費支払い
カード番号 [[CC:{grp(luhn('353011133330005'), (4, 4, 4, 4), '-')}]]（JCB）
請求額 <<AMOUNT:45,320>>円
請求書送付先 [[AD:埼玉県さいたま市浦和区高砂2-1-8]]
担当 [[N:野口]]"""),
    # 34 home visit
    ("nursing_note", """訪問看護記録　[[D:R5.11.8]]
訪問先：[[AD:千葉県船橋市本町四丁目3番地の5]]
利用者 [[N:佐々木 トメ]]様（[[A:91歳]]）
夫の[[N:佐々木 一郎]]様は[[F:船橋市立医療センター]]に入院中。"""),
    # 35 mixed staff list with roles after names
    ("op_record", """手術記録
術者：[[N:久保]]　助手：[[N:菅野]]、[[N:宮崎]]　麻酔科医：[[N:内田 亜紀]]
術式：腹腔鏡下右半結腸切除術
手術日：[[D:2024年9月9日]]
出血量 <<LAB:120>>ml"""),
    # 36 medicine with number-like codes
    ("pharmacy_note", """服薬指導記録
処方箋番号 [[RID:RX-2024-55812]]
YJコード <<CODE:2149039F1020>>、JAN <<CODE:4987123456789>>
ワーファリン 1mg <<DOSE:3-0-0>>、INR <<LAB:2.1>>
薬剤師 [[N:平田]]"""),
    # 37 patient with city of birth
    ("history", """生活歴：[[L:福岡県]][[L:久留米市]]出身。[[D:1980年]]に上京し、[[L:川崎市]]で自営業。
喫煙 20本/日×40年。飲酒 機会飲酒。
父：胃癌で死去、母：[[A:96歳]]存命。"""),
    # 38 record linkage labels
    ("admission_record", """ID [[PID:3301128]] / [[A:67歳]] / 男
紹介状持参。前医 [[F:東邦中央病院]]（[[PH:03-5123-4567]]）。
主治医 [[N:青木 大地]]、副主治医 [[N:工藤]]"""),
]

EN = [
    ("progress_note", """PROGRESS NOTE  [[D:March 4, 2024]]
Pt: [[N:Margaret O'Brien]]   DOB [[D:02/17/1931]]   MRN [[PID:004471293]]
[[A:93]] y.o. female seen with daughter [[N:Linda]].
BP <<BP:138/84>>, HR 76. K 4.1, Na 139. Metoprolol 25 mg <<DOSE:1-0-1>>.
Mrs. [[N:O'Brien]] reports improved dyspnea.
[[N:J. Patel]], MD"""),
    ("discharge_summary", """DISCHARGE SUMMARY
Name: [[N:WILLIAMS, Robert J]]
Admitted [[D:2023-11-02]], discharged [[D:2023-11-09]].
Address: [[AD:1420 Oak Hollow Dr, Apt 3B]], [[L:Springfield]], IL [[PC:62704]]
Phone [[PH:(217) 555-0143]]
Follow up with Dr. [[N:Nguyen]] at [[F:Memorial Heart Institute]] on [[D:11/21/2023]]."""),
    ("referral_letter", """[[D:January 12, 2024]]

Dear Dr. [[N:Feldman]],

Thank you for seeing [[N:Carlos Mendoza]], a [[A:52]]-year-old man referred for evaluation of
hematuria. He lives at [[AD:88 Birch Lane]], [[L:Albany]], NY [[PC:12203]], and works as a carpenter.
Urinalysis showed <<LAB:3+>> blood. CT urogram is scheduled.

Sincerely,
[[N:Rachel Kim]], MD
[[F:Hudson Valley Urology Associates]]"""),
    ("nursing_note", """0700 Received pt from night RN [[N:Tom]]. Alert and oriented x3.
0930 Wife [[N:Gloria]] at bedside; questions answered.
1200 Ate 75% of lunch. Blood glucose <<LAB:142>>.
1500 Mr. [[N:Henderson]] ambulated 100 ft with walker.
Signed: [[N:K. Brooks]], RN"""),
    ("soap", """S: Ms. [[N:Chen]] reports 3 days of sore throat.
O: T 38.2, HR 98, RR 18. Rapid strep positive. WBC <<LAB:12.4>>.
A: Streptococcal pharyngitis.
P: Amoxicillin 500 mg TID x10 days. Return if worse. Next visit [[D:4/2]].
Provider: [[N:Aisha Rahman]], NP"""),
    ("financial_note", f"""BILLING NOTE
Patient [[N:Steven Park]], SSN [[SSN:219-09-9999]]
Card on file: [[CC:{grp(luhn('411111111111111'), (4, 4, 4, 4), ' ')}]]
Medicare ID [[INS:1EG4-TE5-MK73]]
Checking account [[BA:001234567890]], routing [[BA:011000015]]
Contact: [[EM:spark77@example.com]]"""),
    ("radiology_report", """EXAM: MRI brain w/wo contrast   Accession [[RID:RAD-8812934]]
Ordering: Dr. [[N:Elena Sokolova]]
CLINICAL: [[A:67]]-year-old with headaches.
FINDINGS: No acute infarct. Small vessel ischemic changes. <<SERIES:Series 4 image 22>>.
COMPARISON: [[D:08/14/2022]].
Read by [[N:Michael Tran]], MD at [[F:Lakeside Regional Medical Center]]."""),
    ("pathology_report", """SURGICAL PATHOLOGY   Case [[RID:SP-24-11873]]
Patient: [[N:Hughes, Dorothy]]   Age [[A:88]]
Specimen: left breast, core biopsy.
Diagnosis: invasive ductal carcinoma, Nottingham grade 2, <<STAGE:pT1b>>.
Pathologist: [[N:Samuel Ortiz]], MD   [[D:5/30/2024]]"""),
    ("progress_note", """Mr. [[N:Ahmed]] presented with chest pain. Troponin <<LAB:0.04>> -> <<LAB:0.03>>.
EKG without ST changes. Discussed with cardiology fellow [[N:Priya Shah]].
His son [[N:Omar]] ([[PH:617-555-0199]]) is the health care proxy.
He is originally from [[L:Cleveland]] and moved to [[L:Boston]] in [[D:2019]]."""),
    ("discharge_summary", """Pt is a [[A:101]] yo woman from [[F:Sunrise Senior Living]] admitted [[D:6/1/24]]
with urosepsis. E. coli in urine. Treated with ceftriaxone.
Discharged back to facility [[D:6/7/24]]. Niece [[N:Barbara Collins]] notified.
ICD-10 <<ICD10:N39.0>>, <<ICD10:A41.51>>."""),
    ("soap", """CC: knee pain
HPI: [[N:Kevin]] is a [[A:34]] yo runner with 2 wk of medial knee pain.
Exam: McMurray test positive. Lachman negative.
Plan: MRI knee; refer to Dr. [[N:Gomez]] (ortho).
Electronically signed by [[N:Laura Whitfield]] [[D:10/03/2023]] 14:22"""),
    ("nursing_note", """Family meeting held [[D:Feb 9, 2024]].
Present: patient, husband [[N:Frank Russo]], daughter [[N:Maria Russo-Klein]], SW [[N:Tina]].
Patient prefers to go home to [[L:Yonkers]]. Home address confirmed: [[AD:47 Elm Street]],
[[L:Yonkers]], NY [[PC:10701]]."""),
    ("referral_letter", """To: [[F:Cedar Grove Pediatrics]]
Re: [[N:Ethan Miller]], DOB [[D:07/22/2016]]
[[N:Ethan]] was seen in our ED on [[D:12/24/2023]] for croup.
Dexamethasone given. Mother [[N:Jessica]] was instructed on return precautions.
Dr. [[N:A. Lopez]], [[F:St. Mary's Children's Hospital]], fax [[PH:555-201-8834]]"""),
    ("progress_note", """INTERVAL HISTORY: The patient, a [[A:72]]-year-old retired teacher, returns after cycle 3.
Tolerating FOLFOX. Neuropathy grade 1. CEA <<LAB:4.2>> (prior 9.8).
Seen with Dr. [[N:Whitaker]] and pharmacist [[N:Jenna]].
Next infusion [[D:May 2]]."""),
    ("system_note", """Portal message from [[EM:grace.liu.1958@example.org]] at [[D:2024-01-30]] 08:14,
IP [[IP:198.51.100.23]]. Telehealth link [[U:https://telehealth.example.com/visit/ab12cd]].
Patient [[N:Grace Liu]] asks for refill of lisinopril 10 mg."""),
    ("discharge_summary", """PATIENT: [[N:JOHNSON, Marcus]]   MRN: [[PID:7720341]]
ADMIT: [[D:09/15/2023]]  DISCHARGE: [[D:09/18/2023]]
Driver's license [[DL:S530-4172-9981]] on file. Passport [[PP:X12345678]].
Discharged home with wife [[N:Denise]]. PCP: Dr. [[N:Howard Bell]], [[PH:(312) 555-7788]]."""),
    ("soap", """S: Anxious. Sleeping 4 h/night.
O: PHQ-9 <<SCORE:18>>. GAD-7 <<SCORE:15>>.
A: Major depressive disorder, recurrent, moderate (<<ICD10:F33.1>>).
P: Sertraline 50 mg daily. Therapy referral. Follow-up 4 weeks.
Whipple procedure history noted. Parkinson disease in father."""),
    ("progress_note", """Called Mrs. [[N:Delgado]] at [[PH:+1 415 555 0123]] regarding results.
She lives alone at [[AD:2201 Mission Blvd Unit 14]], [[L:Hayward]], CA [[PC:94541]].
Her neighbor [[N:Walt]] checks on her daily. Visit scheduled [[D:Tuesday, June 11, 2024]]."""),
    ("nursing_note", """Shift note: Pt [[N:Jackson]] restless overnight. [[N:Jackson]] pulled IV at 0200.
Sitter [[N:Amber]] assigned. Rounded with Dr. [[N:Young]] at 0630.
Vitals stable: T 36.9, BP <<BP:118/70>>."""),
    ("referral_letter", """Patient: [[N:Haruto Sato]] (Japanese national), DOB [[D:1990-05-14]]
Passport No. [[PP:TK7654321]]. Hotel: [[AD:1-2-3 Nishi-Shinjuku]], [[L:Tokyo]].
Travel insurance policy [[INS:TRV-88231-JP]].
Accompanied by colleague [[N:Yuki Tanaka]]."""),
    ("progress_note", """Assessment: [[A:45]] M with DKA, resolved. Insulin drip discontinued.
Plan discussed with attending Dr. [[N:Lee]] and patient's partner, [[N:Chris Evans]].
Patient works at [[F:Acme Logistics]]; employer notified per patient request."""),
    ("discharge_summary", """Brief hospital course: Admitted [[D:3/3]] for CHF exacerbation. Diuresed 4 L.
Echo EF <<LAB:35>>%. Discharge weight 82.1 kg.
Home health via [[F:BrightStar Home Care]]. Follow up at [[F:Riverside Cardiology Clinic]] on [[D:3/17]].
Grandson [[N:Tyler]] will drive her."""),
]

# Written after the recognisers were tuned on the notes above, and never used for tuning:
# their score is the honest estimate of how the rules generalise (ids ho-fresh-*).
FRESH_JA = [
    ("nursing_note", """【夜間帯】[[D:令和6年10月3日]]
22:00 [[N:石原]]、不眠の訴えあり。ブロチゾラム 0.25mg 内服。
01:30 [[N:石原]]は廊下を歩行、転倒なし。見守り強化。
05:00 娘の[[N:石原 さやか]]さんより電話、朝一番で来院予定。
看護師　[[N:永井]]"""),
    ("referral_letter", """[[F:国立病院機構 仙台医療センター]]
呼吸器内科　[[N:佐久間 隆之]] 先生
患者：[[N:遠藤 和子]] 様（[[A:81歳]]）
住所：[[AD:宮城県仙台市青葉区国分町二丁目14番18号]]
[[D:令和6年9月]]頃より咳嗽持続。胸部X線で右下肺野に浸潤影。
よろしくお願い申し上げます。
[[F:あすなろクリニック]]　[[N:工藤 悠]]"""),
    ("msw_note", """転院調整
本人は[[L:仙台]]の自宅へ戻ることを希望。次男は[[L:東京都]][[L:練馬区]]在住。
[[F:ケアタウン若葉]]（特養）に申込済み。担当CM [[N:大野]]（[[PH:022-765-4321]]）
生活保護受給中、公費負担者番号 [[INS:12040010]]"""),
    ("soap", """S) 腰痛増悪。「[[N:和田]]先生に前回言われた体操をしている」
O) SLR陰性、<<VERT:L5>> 領域しびれなし。
A) 腰部脊柱管狭窄症。
P) リハビリ継続、2週間後再診。"""),
    ("discharge_summary", """患者氏名：[[N:ﾅｶｼﾞﾏ ﾕｳｷ]]（[[N:中島 勇樹]]）
生年月日：[[D:H15.7.21]]　年齢：[[A:21歳]]
連絡先：[[PH:080-1122-3344]]、[[EM:yuki.n@example.co.jp]]
保険者番号：[[INS:06271234]]
退院日：[[D:2024年11月2日]]　主治医：[[N:清水]]"""),
    ("radiology_report", """頭部MRI
依頼：[[N:杉山]]医師　読影：Dr. [[N:小林 直人]]
[[D:2024/08/30]] 撮影。前回（[[D:2023/02/14]]）と比較し白質病変の増加あり。
<<SERIES:Se7 Im22>>"""),
    ("nursing_note", """外来記録
[[N:上野 ひかり]]ちゃん（[[A:3歳]]）、父親と来院。
[[N:ひかり]]ちゃんは待合で元気に遊んでいる。
上野公園で転倒し右前腕を受傷。"""),
    ("financial_note", """返金口座：三井住友銀行 新宿支店 普通 [[BA:1234567]]
名義：[[N:タカギ ミツル]]
マイナンバー：[[MN:MN_PLACEHOLDER]]"""),
]
FRESH_EN = [
    ("progress_note", """Seen with her sister [[N:Joanne]] today. [[N:Patricia Vega]] ([[A:79]]F) reports falls x2.
Lives at [[AD:915 Pine Crest Rd]], [[L:Tacoma]], WA [[PC:98402]]. Phone [[PH:253-555-0177]].
Plan: PT eval; Dr. [[N:Okonkwo]] to review meds. Next visit [[D:Dec 3, 2024]]."""),
    ("discharge_summary", """Discharge date: [[D:2024-07-19]]
Patient: [[N:FITZGERALD, Sean P]]   MRN [[PID:55102938]]
Discharged to [[F:Maple Grove Rehabilitation Center]]. Son [[N:Liam]] aware.
Attending: [[N:Hannah Weiss]], MD"""),
    ("soap", """S: Mr. [[N:Dubois]] c/o cough.
O: CRP <<LAB:15>>. CXR RLL opacity.
A: CAP. P: Doxycycline. Recheck [[D:8/22]]. ICD-10 <<ICD10:J18.9>>."""),
    ("referral_letter", """Dear Dr. [[N:Abernathy]],
I am referring [[N:Noah Kim]] (DOB [[D:03/09/2011]]), a [[A:13]]-year-old with recurrent otitis media.
His mother, [[N:Sun-Hee Kim]], can be reached at [[PH:(646) 555-0190]].
Regards, [[N:Peter Walsh]], MD, [[F:Brookside Pediatric Associates]]"""),
]

# Written last, after all tuning, and scored once without any change to the recognisers
# (ids ho-final-*): the unseen estimate reported in docs/text.md.
FINAL_JA = [
    ("er_record", """救急外来記録　[[D:2024年12月1日]] 23:40
救急隊より：[[L:八王子市]]内の路上で倒れているところを通行人が発見。
所持品の保険証より [[N:小西 正之]]（[[D:昭和31年2月8日]]生、[[A:68歳]]）と判明。
妻 [[N:小西 和子]]様へ連絡（[[PH:042-612-3344]]）、0:15来院。
当直医　[[N:安田]]、看護師　[[N:坂本]]"""),
    ("consent", """説明同意書（記録）
説明日：[[D:R6.12.5]]
説明医師：[[N:松田 圭介]]　同席看護師：[[N:新井]]
患者：[[N:桑原 節子]]　代諾者：長男 [[N:桑原 守]]
上記の通り、冠動脈造影検査の必要性と合併症について説明した。"""),
    ("home_care", """訪問診療記録
訪問先：[[AD:東京都町田市玉川学園七丁目5番12号]]
[[N:金田]]さん宅。本人ベッド上、妻が介護。
次回訪問は[[D:1月9日]]。[[F:町田ひまわり薬局]]へ処方FAX済み。
BP <<BP:142/80>>、SpO2 95%"""),
    ("phone_memo", """電話メモ（[[D:12/10]] 14:05）
[[F:グループホームあかね]]の[[N:渡部]]さんより：[[N:今村]]様、昨夜より38℃台の発熱。
折り返し先 [[PH:0466-12-3456]]
→ 明日外来受診を指示。担当：[[N:森下]]"""),
    ("discharge_summary", """【紹介元】[[F:いずみ野]]
【患者】[[N:大久保 美奈]]（[[A:34歳]]）、[[L:藤沢市]]在住
【入院期間】[[D:2024/11/20]]〜[[D:2024/11/27]]
【診断】切迫早産
【退院時処方】リトドリン 5mg <<DOSE:1-1-1>>"""),
]
FINAL_EN = [
    ("ed_note", """ED NOTE [[D:11/30/2024]] 02:14
[[A:91]] yo M BIBA from [[F:Willow Creek Assisted Living]] after unwitnessed fall.
Daughter [[N:Renee Foster]] ([[PH:919-555-0147]]) en route.
CT head negative. Trop <<LAB:0.02>>. Seen by [[N:R. Castillo]], PA-C."""),
    ("op_note", """OPERATIVE REPORT
Patient: [[N:Abigail Turner]]  MRN: [[PID:30047719]]  Date: [[D:October 7, 2024]]
Surgeon: [[N:Victor Huang]], MD  Assistant: [[N:Dana Price]], PA
Procedure: laparoscopic cholecystectomy. EBL <<LAB:25>> mL."""),
    ("phone_note", """Telephone encounter: spoke with patient's husband, [[N:Greg]], who reports she is more confused.
They live at [[AD:300 Harbor View Ter Apt 12]], [[L:Mystic]], CT [[PC:06355]].
Advised ED evaluation. Callback [[PH:860-555-0112]]. -- [[N:M. Alvarez]], RN"""),
]


def parse(src):
    text, spans, decoys = [], [], []
    pos = 0
    i = 0
    pat = re.compile(r"\[\[([A-Z]+):(.*?)\]\]|<<([A-Z0-9]+):(.*?)>>", re.S)
    for m in pat.finditer(src):
        text.append(src[i:m.start()])
        pos += m.start() - i
        if m.group(1):
            t, v = m.group(1), m.group(2)
            spans.append({"start": pos, "end": pos + len(v), "type": T[t], "value": v})
        else:
            t, v = m.group(3), m.group(4)
            decoys.append({"start": pos, "end": pos + len(v), "kind": t, "value": v})
        text.append(v)
        pos += len(v)
        i = m.end()
    text.append(src[i:])
    return "".join(text), spans, decoys


def main():
    out = []
    fresh_ja = [(k, s.replace("MN_PLACEHOLDER", grp(mn("50912837465"), (4, 4, 4), "-"))) for k, s in FRESH_JA]
    for lang, prefix, notes in (("ja", "ho", JA), ("en", "ho", EN), ("ja", "ho-fresh", fresh_ja), ("en", "ho-fresh", FRESH_EN),
                                 ("ja", "ho-final", FINAL_JA), ("en", "ho-final", FINAL_EN)):
        for k, (kind, src) in enumerate(notes):
            text, spans, decoys = parse(src)
            for s in spans + decoys:
                assert text[s["start"]:s["end"]] == s["value"], s
            out.append({"id": f"{prefix}-{lang}-{k:03d}", "lang": lang, "text": text, "spans": spans,
                        "decoys": decoys, "meta": {"note_type": kind, "generator": "hand-written (build.py)"}})
    path = pathlib.Path(__file__).with_name("notes.jsonl")
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in out), encoding="utf-8")
    print(f"{len(out)} notes, {sum(len(o['spans']) for o in out)} gold spans, "
          f"{sum(len(o['decoys']) for o in out)} decoys -> {path}")


if __name__ == "__main__":
    main()
