"""The one stop-word list (English and Korean): used by the term extractor and seeded into the `stopwords` table."""

from __future__ import annotations

# Words that say nothing about a brand or a touchpoint: function words, chat fillers, time words and URL debris.
# The union of the term extractor's and the warehouse seed's former lists, reviewed: none names a CX topic.
# Changing it needs a new migration in warehouse/schema.py that re-seeds `stopwords` (as version 7 does), so old
# and new warehouses agree.
_EN_WORDS = """
a about above after again against all almost also am an and any are aren as at away back be because been before
being below between both but by can cannot could couldn did didn do does doesn doing don done down during each
else even ever every few for from further get gets getting got gonna had hadn has hasn have haven having he her
here hers herself him himself his how however i id if im in into is isn it its itself ive just ll lol lmao me
more most much must my myself no nor not now of off on once one only or other our ours out over own pls please
re really same she should shouldn so some still such than that thats the their theirs them then there these
they this those though through thru to too u under until up us ve very via was wasn way we were weren what
when where which while who whom why will with won would wouldn yet you your yours yourself amp rt http https www
com co t s d m oh ok okay yeah yes hey hi guys anyone anybody someone something thing things today yesterday
tomorrow day days week weeks time times also literally actually cant wont dont didnt doesnt isnt wasnt arent
anything everything nothing anyone everyone thanks thank
"""
# Korean: nouns and predicate lemmas that carry no topic on their own (kiwi already drops particles, endings and
# dependent nouns), then connectives, pronouns and inflected forms that reach `top_terms` from older term rows.
_KO_WORDS = """
것 거 수 때 등 중 좀 더 진짜 정말 너무 완전 그냥 오늘 어제 내일 지금 이번 요즘 이거 그거 저거 여기 거기 우리 저희 사람
정도 생각 경우 이유 하나 처음 이제 다음 자체 부분 이상 이하 동안 번 개 분 전 후 말 얘기 제 내 나 너 님 분들 데
하다 되다 있다 없다 같다 이다 아니다 보다 주다 싶다 않다 받다 오다 가다 알다 모르다 그렇다 이렇다 어떻다 말다
그리고 그런데 근데 하지만 그래서 그러나 그럼 또는 또한 아주 매우 많이 조금 이것 그것 저것 저기 저는 제가 저도 나는 내가
나도 있어요 없어요 있습니다 없습니다 했어요 했는데 하는 하고 해서 하면 합니다 입니다 이에요 예요 에요 인데 는데 아니
어떻게 때문에 위해 통해 대한 대해 같은 같아요 같이 다시 계속 항상 모두 다른 어떤 무슨 그래도 에서 으로 까지 부터 에게
한테 이랑 했다 된다 되는 하면서 해요 했습니다
"""

STOPWORDS_EN: tuple[str, ...] = tuple(dict.fromkeys(_EN_WORDS.split()))
STOPWORDS_KO: tuple[str, ...] = tuple(dict.fromkeys(_KO_WORDS.split()))
EN_STOP: frozenset[str] = frozenset(STOPWORDS_EN)
KO_STOP: frozenset[str] = frozenset(STOPWORDS_KO)
