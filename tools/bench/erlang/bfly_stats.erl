%% The statistics every Erlang baseline reports (tools/bench/erl.ts compiles
%% it beside the module it runs): the median of the runs, their min and max.
-module(bfly_stats).
-export([stats/1]).

stats(Values) ->
    S = lists:sort(Values),
    N = length(S),
    Median = case N rem 2 of
        1 -> lists:nth(N div 2 + 1, S);
        0 -> (lists:nth(N div 2, S) + lists:nth(N div 2 + 1, S)) / 2
    end,
    {Median, hd(S), lists:last(S)}.
