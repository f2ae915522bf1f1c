from mlcore_agent import MlLoopEnv
from sklearn.tree import DecisionTreeClassifier
env, X, y = MlLoopEnv("/"), [], []  # "/" is the real kernel, or `mlcore-emu run`
obs, info = env.reset()
for epoch in range(100):  # learn features -> hindsight-best window, act with it
    X.append(obs[:3]); y.append(round(float(obs[4]) * 9))
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    obs, reward, terminated, truncated, info = env.step(int(tree.predict([obs[:3]])[0]))
print(f"epoch {info['epoch']}: mode {info['mode_after']}, efficiency {info['ewma']:.3f}")
