%% The Erlang side of bench/peers: the scenarios of actr's runtime and cluster benchmarks with
%% gen_server:call of a 64-byte binary. Prints one JSON object per line:
%%   {"peer":"erlang","scenario":"...","value":N,"unit":"us"|"calls/s"|"bytes"}
%%
%% bench/peers/run.sh compiles this with erlc into a temp dir and runs one VM per group, since
%% the scheduler count is a VM flag:
%%   erl +S 1 -noshell -pa DIR -run actr_peer_bench main same     % one scheduler (+ throughput)
%%   erl +S 2 -noshell -pa DIR -run actr_peer_bench main cross    % two schedulers (+ throughput)
%%   erl +S 2 -noshell -pa DIR -run actr_peer_bench main memory   % 100k idle gen_servers
%%   erl -sname actrpeera -setcookie C -noshell -pa DIR -run actr_peer_bench main dist
%% Add `quick` after the group for a smoke run.
-module(actr_peer_bench).
-behaviour(gen_server).

-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(PAYLOAD, <<0:512>>).  % 64 bytes, as actr's benches send

%% The callee: echoes the request, as the `echo` route of actr's runtime_probe does.
init([]) -> {ok, nil}.
handle_call(where, _From, S) -> {reply, erlang:system_info(scheduler_id), S};
handle_call(Bin, _From, S) -> {reply, Bin, S}.
handle_cast(_, S) -> {noreply, S}.

main([Group | Rest]) ->
    put(quick, Rest =:= ["quick"]),
    try
        run(list_to_atom(Group))
    catch
        C:E:St ->
            io:format(standard_error, "erlang peer: ~p:~p ~p~n", [C, E, St]),
            erlang:halt(1)
    end,
    erlang:halt(0).

run(same) ->  % +S 1: caller and callee share the one scheduler
    {ok, S} = gen_server:start(?MODULE, [], []),
    batches("call_same", S, []),
    lone("call_same_lone", S, []),
    throughput("throughput_8x4_1worker", fun() -> start_callees(4, []) end, 8);
run(cross) ->  % +S 2: caller bound to scheduler 1, callee to scheduler 2
    {ok, S} = gen_server:start(?MODULE, [], [{spawn_opt, [{scheduler, 2}]}]),
    2 = gen_server:call(S, where),  % the binding took
    batches("call_cross", S, [{scheduler, 1}]),
    lone("call_cross_lone", S, [{scheduler, 1}]),
    %% Throughput: no binding, the schedulers place and migrate as they normally do.
    throughput("throughput_8x4_2workers", fun() -> start_callees(4, []) end, 8);
run(memory) ->
    idle_memory();
run(dist) ->
    dist().

quick() -> get(quick).

now_us() -> erlang:monotonic_time(nanosecond) / 1000.

emit(Scenario, Value, Unit) ->
    io:format("{\"peer\":\"erlang\",\"scenario\":\"~s\",\"value\":~.3f,\"unit\":\"~s\"}~n",
              [Scenario, float(Value), Unit]).

%% Nearest-rank percentile, as bench/support/harness.hpp.
pct(Samples, P) ->
    Sorted = lists:sort(Samples),
    N = length(Sorted),
    lists:nth(max(1, min(N, ceil(P / 100 * N))), Sorted).

%% Runs Fun in a fresh process spawned with SpawnOpts and returns its result.
in_process(Fun, SpawnOpts) ->
    Self = self(),
    Ref = make_ref(),
    spawn_opt(fun() -> Self ! {Ref, Fun()} end, SpawnOpts),
    receive {Ref, R} -> R end.

call_n(_S, 0) -> ok;
call_n(S, N) -> _ = gen_server:call(S, ?PAYLOAD), call_n(S, N - 1).

%% Per call in batches of 100 calls back to back: p50 / p99 of the batch means (actr: "per call,
%% N=100 batches" of runtime_bench).
batches(Name, S, SpawnOpts) ->
    Count = case quick() of true -> 30; false -> 300 end,
    Samples = in_process(
        fun() ->
            call_n(S, 1000),  % warm-up
            [begin T0 = now_us(), call_n(S, 100), (now_us() - T0) / 100 end
             || _ <- lists:seq(1, Count)]
        end, SpawnOpts),
    emit(Name ++ "_p50", pct(Samples, 50), "us"),
    emit(Name ++ "_p99", pct(Samples, 99), "us").

%% One call at a time with a pause between, so the schedulers go idle (and to sleep) first.
lone(Name, S, SpawnOpts) ->
    Count = case quick() of true -> 100; false -> 1000 end,
    Samples = in_process(
        fun() ->
            [begin
                 timer:sleep(1),
                 T0 = now_us(), _ = gen_server:call(S, ?PAYLOAD), now_us() - T0
             end || _ <- lists:seq(1, Count)]
        end, SpawnOpts),
    emit(Name ++ "_p50", pct(Samples, 50), "us").

start_callees(N, Opts) ->
    [begin {ok, P} = gen_server:start(?MODULE, [], Opts), P end || _ <- lists:seq(1, N)].

%% Callers processes each call one callee (caller I -> callee I rem 4) back to back, in rounds of
%% 200 calls (as actr's call-loop 200), until the deadline; calls/s over the wall time.
throughput(Name, StartCallees, Callers) ->
    Callees = StartCallees(),
    Ms = case quick() of true -> 500; false -> 2000 end,
    Self = self(),
    T0 = erlang:monotonic_time(millisecond),
    Deadline = T0 + Ms,
    [spawn(fun() ->
               S = lists:nth(I rem length(Callees) + 1, Callees),
               Self ! {done, loop(S, Deadline, 0)}
           end) || I <- lists:seq(1, Callers)],
    Total = lists:sum([receive {done, C} -> C end || _ <- lists:seq(1, Callers)]),
    Wall = (erlang:monotonic_time(millisecond) - T0) / 1000,
    emit(Name, Total / Wall, "calls/s").

loop(S, Deadline, Done) ->
    call_n(S, 200),
    case erlang:monotonic_time(millisecond) < Deadline of
        true -> loop(S, Deadline, Done + 200);
        false -> Done + 200
    end.

%% 100,000 idle gen_servers: the VM's own count (erlang:memory(total)), the OS's (RSS, as actr's
%% and CAF's figures), and one process's process_info(memory).
idle_memory() ->
    N = case quick() of true -> 10000; false -> 100000 end,
    erlang:garbage_collect(),
    M0 = erlang:memory(total),
    R0 = rss(),
    Ps = start_callees(N, []),
    M1 = erlang:memory(total),
    R1 = rss(),
    {memory, One} = process_info(lists:nth(N div 2, Ps), memory),
    emit("idle_memory_rss", (R1 - R0) / N, "bytes"),
    emit("idle_memory_vm", (M1 - M0) / N, "bytes"),
    emit("idle_memory_process_info", One, "bytes").

rss() ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_, Resident | _] = binary:split(Statm, <<" ">>, [global]),
    binary_to_integer(Resident) * 4096.

%% Two nodes on loopback: this one (-sname actrpeera) and a child `erl -sname actrpeerb` with
%% the same cookie; callers here, gen_server callees there, over Erlang distribution (TCP).
dist() ->
    Host = lists:last(string:split(atom_to_list(node()), "@")),
    B = list_to_atom("actrpeerb@" ++ Host),
    Erl = os:find_executable("erl"),
    Dir = filename:dirname(code:which(?MODULE)),
    Port = open_port({spawn_executable, Erl},
                     [{args, ["-sname", "actrpeerb", "-setcookie", atom_to_list(erlang:get_cookie()),
                              "-noshell", "-pa", Dir]}, exit_status]),
    wait_pong(B, 100),
    try
        Start = fun() ->
                    [begin
                         {ok, P} = rpc:call(B, gen_server, start, [?MODULE, [], []]), P
                     end || _ <- lists:seq(1, 4)]
                end,
        [S | _] = Start(),
        batches("dist_call", S, []),
        lone("dist_call_lone", S, []),
        throughput("dist_throughput_1caller", fun() -> [S] end, 1),
        throughput("dist_throughput_8x4", Start, 8)
    after
        rpc:cast(B, erlang, halt, []),
        receive {Port, {exit_status, _}} -> ok after 5000 -> ok end
    end.

wait_pong(B, 0) -> error({node_did_not_start, B});
wait_pong(B, N) ->
    case net_adm:ping(B) of
        pong -> ok;
        pang -> timer:sleep(100), wait_pong(B, N - 1)
    end.
