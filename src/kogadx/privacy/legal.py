"""The legal route of the data: which APPI regime applies to the city, and how each zone may leave it.

DOMAIN notes (個人情報の保護に関する法律, 平成15年法律第57号, text as in force from 2024-04-01,
令和5年法律第79号 amendment). Sources: e-Gov 法令検索 (https://laws.e-gov.go.jp/law/415AC0000000057),
read through the article-by-article mirror at iuris.jp (which reproduces the e-Gov text with its
施行日), and the PPC's Q&A (行政機関等編) at ppc.go.jp.

- Since 2023-04-01 a city's own handling of personal information falls under Chapter 5
  (行政機関等の義務等), not Chapter 4 (個人情報取扱事業者). source: PPC ガイドライン (行政機関等編);
  municipal regulations citing 法第66条第1項 (e.g. 横須賀市 保有個人情報等の安全管理措置に関する規則, 2023).
- 第66条第1項: 行政機関の長等 must take safety-management measures for 保有個人情報.
  source: PPC ガイドライン (行政機関等編) as quoted by MHLW (介護情報利活用WG 資料5).
  第66条第2項 applies the same to those entrusted with the handling (委託を受けた者) —
  UNCONFIRMED: paragraph number not checked against the e-Gov text.
- 第69条: 保有個人情報 may be used or provided only for the 利用目的 unless an exception of
  第2項 applies (第4号: 専ら統計の作成又は学術研究の目的). source: iuris.jp 第六十九条.
- 第73条 (仮名加工情報の取扱いに係る義務, 行政機関の長等): 第1項 no provision to a third party
  except 法令に基づく場合 or a party entrusted with its handling (委託を受けた者); 第2項 safety
  management; 第3項 no obtaining 削除情報等 and no matching to identify the person; 第4項 no
  contacting the person (電話・郵便・電磁的方法 …). It covers 仮名加工情報 that is not 個人情報 for
  the holder. source: iuris.jp 第七十三条.
- 行政機関等匿名加工情報 (Chapter 5 Section 5): 第109条 — provided only as that section allows
  (法令に基づく場合, or where the 保有個人情報 itself could be provided for its purpose); 第112条 —
  the 提案募集 (proposal) procedure; 第116条第1項 with 施行規則第62条 — the processing standard;
  第121条 — no matching, and management per 施行規則第65条. source: PPC Q&A (行政機関等編) A6-1-2 and
  A6-1-7; iuris.jp 第百九条. A record-level release of city data therefore goes through a proposal
  and a contract, never open data.
- 施行規則第31条 (the processing standard for 仮名加工情報 by businesses, 法第41条第1項) is kept in
  policy.yaml as the *technical* yardstick for what is deleted (its three items); it is not the
  city's legal basis.
"""

from __future__ import annotations

from typing import Any

from kogadx.privacy.params import LegalRoute

REGIME_TEXT = {
    "行政機関等": "行政機関等 (個人情報保護法 第5章、地方公共団体の機関として)",
    "個人情報取扱事業者": "個人情報取扱事業者 (個人情報保護法 第4章)",
}

# zone → (what it is, who may be given it, on which basis)
ZONES = {
    "行政機関等": [
        ("secure (data/raw, data/raw_validated, data/secure)", "住民情報そのもの・鍵・削除情報等",
         "市の担当課のみ", "法第66条第1項 (安全管理措置)"),
        ("仮名加工 (data/pseudonymized, data/features, models)", "仮名加工した個票 (市にとっては保有個人情報)",
         "委託契約の相手方 (委託を受けた者) のみ。再提供・照合・本人への連絡は契約で禁止",
         "法第69条 (利用目的内)、第66条第2項 (委託先の安全管理)、第73条 (仮名加工情報: 委託先以外への提供禁止)"),
        ("学生向け (data/student, data/student_bundle)",
         "時刻・場所を粗くし利用者番号を日ごとに振り直した予約ログと、テーマごとの最小の抜き出し "
         "(年齢は 5 歳幅、世帯番号・自由記述なし。一意な記録の割合は各テーマの README に記載)",
         "委託契約の下で PBL に参加する学生 (委託先の従事者として)", "同上 (委託の範囲内)。公開はしない"),
        ("匿名加工 (data/anonymized)", "k 匿名・l 多様な住民表 (行政機関等匿名加工情報の候補)",
         "提案募集と契約を経た提案者のみ。オープンデータではない",
         "法第109条・第112条・第116条 (施行規則第62条)・第121条"),
        ("報告書 (reports, metrics)", "集計値と図のみ (個票なし)", "庁内の政策担当、公表は集計値として",
         "個人に関する情報を含まない"),
    ],
}


def legal_basis(route: LegalRoute) -> dict[str, Any]:
    """What the audit and the privacy report state: regime, route, purpose, articles, zones."""
    articles = [
        {"article": "法第66条第1項", "about": "保有個人情報の安全管理措置"},
        {"article": "法第66条第2項", "about": "委託を受けた者の安全管理措置 (項番号は未確認)"},
        {"article": "法第69条", "about": "利用目的以外の利用・提供の制限"},
        {"article": "法第73条",
         "about": "仮名加工情報: 委託先以外に提供しない・安全管理・照合と削除情報等の取得の禁止・本人への連絡の禁止"},
        {"article": "法第109条・第112条", "about": "行政機関等匿名加工情報は提案募集と契約によってのみ提供"},
        {"article": "法第116条第1項・施行規則第62条", "about": "行政機関等匿名加工情報の作成基準"},
        {"article": "法第121条・施行規則第65条", "about": "行政機関等匿名加工情報の照合禁止と管理"},
    ] if route.regime == "行政機関等" else [
        {"article": "法第41条・施行規則第31条", "about": "仮名加工情報の作成基準"},
        {"article": "法第42条", "about": "仮名加工情報の第三者提供の制限"},
    ]
    return {
        "regime": route.regime,
        "regime_text": REGIME_TEXT[route.regime],
        "route": route.route,
        "purpose": route.purpose,
        "contractor": route.contractor,
        "articles": articles,
        "zones": [dict(zip(("zone", "what", "who", "basis"), z, strict=True)) for z in ZONES.get(route.regime, [])],
        "processing_yardstick":
            "削除する項目の基準として施行規則第31条 (事業者向け仮名加工情報の加工基準) の各号を用いる",
        "anonymized_release":
            "匿名加工した表は公開用ではありません (行政機関等匿名加工情報: 提案募集と契約による提供のみ)",
        "sources": ["e-Gov 法令検索 https://laws.e-gov.go.jp/law/415AC0000000057 (令和6年4月1日施行の条文)",
                    "個人情報保護委員会 Q&A (行政機関等編) A6-1-2"],
    }
