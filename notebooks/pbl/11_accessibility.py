# %% [markdown]
# # 11 停留所までの近さ — geopandas で高齢者のアクセスを測る
#
# **学習目標**
# - 座標参照系 (CRS) の違いを説明し、距離や面積を測る前にメートル単位の CRS (EPSG:6670) に変換できる
# - 停留所のバッファ (半径 300 m の円) と町丁目を重ね、町丁目ごとに「停留所の近くにある面積の割合」を計算できる
# - 空間結合 (`sjoin`) で点 (停留所) を面 (町丁目) に割り当てられる
# - 「一番近い停留所」の領域 (ボロノイ図) が、歩いて行ける範囲とは違うことを説明できる
#
# **ストーリー**
# のるーと古賀は、自宅の近くの停留所から乗る仕組みです。停留所が遠ければ、特に高齢の人は使えません。
# 市は「65 歳以上の人のうち、停留所から歩いて行ける範囲に住む人はどれくらいか」を知りたがっています。
# 住所の点は大学には渡せないので、町丁目ごとの人数と町丁目の形から推定します。

# %%
# %load_ext autoreload
# %autoreload 2

# %% tags=["parameters"]
BUFFER_M = 300  # 停留所から歩いて行ける距離 (m)。バス停の誘致圏として使われる値 (下の注)
ELDERLY_AGE = 65
MIN_CELL = 10  # 表に出す人数の下限 (これ未満は「<10」と表示する)

# %%
import warnings

import geopandas as gpd
import pandas as pd
import shapely

from kogadx.geo.reference import CRS_METRIC
from kogadx.pbl import checks, data
from kogadx.plotting import setup

plt = setup()
# %matplotlib inline

# %% [markdown]
# 注: 半径 300 m は、バス停の徒歩圏としてよく使われる値です。その出典としてよく挙げられる国土交通省
# 「都市構造の評価に関するハンドブック」(2014) の該当箇所は、まだ確かめられていません (UNCONFIRMED:
# 本文を検索で見つけられませんでした。掲載ページとして他のプロジェクトが挙げている
# https://www.mlit.go.jp/toshi/tosiko/toshi_tosiko_tk_000004.html (これも未確認) の本文で確かめてから引用してください)。確かめられたのは、国土交通省の集計として「最寄りの鉄道の駅から
# 500 メートル以上かつ、バス停から 300 メートル以上離れた場所に暮らしている人の数は全人口の 2 割」と
# 伝えた報道 (TBS NEWS DIG、https://newsdig.tbs.co.jp/articles/-/1898831?page=2) で、ここでもバス停から
# 300 m が「近くにある」かどうかの線になっています。坂道の多い丘陵地では、高齢の人が実際に歩ける距離は
# もっと短いかもしれません。
#
# ## 1. 座標参照系 (CRS)
# 町丁目と停留所は緯度経度 (JGD2011, EPSG:6668) で入っています。単位は「度」なので、
# そのまま `buffer(300)` とすると「半径 300 度」になってしまいます。

# %%
towns = data.load_towns()
stops = data.load_stops()
stops_gdf = gpd.GeoDataFrame(stops, geometry=gpd.points_from_xy(stops["lon"], stops["lat"]), crs="EPSG:6668")
print("町丁目の CRS:", towns.crs.to_string(), "/ 単位:", towns.crs.axis_info[0].unit_name)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # geopandas warns about exactly this mistake
    wrong = stops_gdf.geometry.iloc[0].buffer(BUFFER_M).area
print(f"度のまま buffer({BUFFER_M}) した円の面積: {wrong:,.0f} 平方「度」 (地球全体より大きい!)")

# %%
towns_m = towns.to_crs(CRS_METRIC)
stops_m = stops_gdf.to_crs(CRS_METRIC)
print("変換後:", towns_m.crs.to_string(), "/ 単位:", towns_m.crs.axis_info[0].unit_name)
print(f"市の面積 (町丁目の合計): {towns_m.area.sum() / 1e6:.1f} km²")

# %% [markdown]
# ## 2. 空間結合: 停留所はどの町丁目にあるか
# 停留所の表には `town_code` がありますが、形 (ポリゴン) から求め直して一致するか確かめます。

# %%
joined = gpd.sjoin(stops_m, towns_m[["town_code", "geometry"]], how="left", predicate="within",
                   lsuffix="stop", rsuffix="town")
agree = (joined["town_code_stop"] == joined["town_code_town"]).mean()
print(f"停留所 {len(joined)} か所、表の町丁目と形から求めた町丁目の一致率: {agree:.0%}")

# %% [markdown]
# ## 3. 停留所から 300 m の範囲
# すべての停留所のバッファを 1 つの図形にまとめ (`union_all`)、町丁目と重ねます。
#
# **予想してから実行しよう**: 市の面積のうち、停留所から 300 m 以内はおよそ何 % だと思いますか？

# %%
covered = stops_m.buffer(BUFFER_M).union_all()
print(f"停留所から {BUFFER_M} m 以内: 市の面積の {towns_m.intersection(covered).area.sum() / towns_m.area.sum():.0%}")

# %% [markdown]
# **演習 1.** 町丁目の GeoDataFrame `towns` と図形 `covered` (どちらもメートル単位の CRS) を受け取り、
# 町丁目ごとに「面積のうち `covered` の中にある割合」(0〜1、`towns` と同じ index の Series) を返す
# 関数 `covered_share` を書いてください。チェックは自分で作った四角い町と円でも確かめます。

# %%
def covered_share(towns, covered):
    return None  # ← ここを書き換える


checks.check_covered_share(covered_share, towns_m, covered)

# %% [markdown]
# ## 4. 高齢の人のうち、停留所の近くに住む人
# 町丁目の中で人が一様に住んでいると仮定すると、町丁目の 65 歳以上の人数 × 近くにある面積の割合 が
# 「停留所の近くに住む 65 歳以上の人」の推定です。(実際には人は道路沿いや団地に集まって住んでいます。
# この仮定がいちばん大きな誤差のもとです)

# %%
residents = data.load_residents()  # 学生用データの年齢は 5 歳階級 (例 "65-69")
elderly = residents[data.age_band_start(residents["age_band"]) >= ELDERLY_AGE].groupby("town_code").size().rename(
    "elderly")
share = (towns_m.geometry.intersection(covered).area / towns_m.area).rename("share")
access = towns_m[["town_code", "town_name"]].join(share).merge(elderly, on="town_code", how="left").fillna(
    {"elderly": 0})
estimate = (access["elderly"] * access["share"]).sum() / access["elderly"].sum()
print(f"65 歳以上の人のうち、停留所から {BUFFER_M} m 以内に住む人の割合 (推定): {estimate:.0%}")
shown = access.assign(elderly=access["elderly"].astype(int).astype(str).where(access["elderly"] >= MIN_CELL,
                                                                                f"<{MIN_CELL}"))
shown.sort_values("share").head(8)[["town_name", "elderly", "share"]].round(2)

# %%
fig, ax = plt.subplots(figsize=(7, 7))
towns_m.join(share).plot(column="share", ax=ax, cmap="YlGnBu", legend=True, edgecolor="white", linewidth=0.4,
                         legend_kwds={"label": f"停留所から {BUFFER_M} m 以内の面積の割合"})
stops_m.plot(ax=ax, color="#c23b3b", markersize=6)
ax.set_title("町丁目ごとの停留所の近さ")
ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 5. ボロノイ図の注意
# 「一番近い停留所」で市を分けた領域 (ボロノイ図) は、よく「停留所の担当範囲」として描かれます。
# しかしこれは **直線距離** で分けた領域です。道路、坂、川、線路、歩道橋の有無は考えていません。

# %%
city = towns_m.union_all()
regions = gpd.GeoSeries(shapely.voronoi_polygons(shapely.MultiPoint(list(stops_m.geometry))).geoms,
                        crs=CRS_METRIC).intersection(city)
far = regions.area / 1e6
print(f"ボロノイ領域 {len(regions)} 個: 面積の中央値 {far.median():.2f} km², 最大 {far.max():.2f} km²")
fig, ax = plt.subplots(figsize=(7, 7))
regions.boundary.plot(ax=ax, color="#555555", linewidth=0.6)
gpd.GeoSeries([covered], crs=CRS_METRIC).intersection(city).plot(ax=ax, color="#1f5fa8", alpha=0.3)
stops_m.plot(ax=ax, color="#c23b3b", markersize=6)
ax.set_title(f"一番近い停留所の領域 (線) と {BUFFER_M} m 圏 (青)")
ax.set_axis_off()
plt.show()

# %% [markdown]
# ## ふりかえり
# (2〜3 文で。教員用パッケージに評価の観点があります)
# - 緯度経度のまま距離や面積を計算すると、なぜ誤りになるのですか？ メートル単位の CRS を選ぶときに気をつけることは？
# - 「町丁目の中で人が一様に住んでいる」という仮定は、4 の推定をどちら向きにずらしうるでしょうか？ 確かめるには何のデータが要りますか？
# - ボロノイ図の領域を「停留所の担当範囲」として市に示すと、どんな誤解が生まれますか？
