"""The works the model's mechanisms, parameters and scenarios cite, by short key.

A parameter's ``source`` and a mechanism's ``references`` are keys of :data:`REFERENCES`.
A mechanism written outside the package brings its own works (``Mechanism.works``); they
are added here when the mechanism is registered, and a key may not be given two texts.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["REFERENCES", "PACKAGE_WORKS", "add_references"]

REFERENCES: dict[str, str] = {
    "Richardson 1960": "Richardson, L. F. (1960). Arms and Insecurity: A Mathematical Study of "
    "the Causes and Origins of War. Pittsburgh: Boxwood Press.",
    "Walt 1985": "Walt, S. M. (1985). Alliance Formation and the Balance of World Power. "
    "International Security 9(4): 3-43.",
    "Jervis 1978": "Jervis, R. (1978). Cooperation Under the Security Dilemma. World Politics "
    "30(2): 186-214.",
    "Olson and Zeckhauser 1966": "Olson, M. and Zeckhauser, R. (1966). An Economic Theory of "
    "Alliances. Review of Economics and Statistics 48(3): 266-279.",
    "Pape 2005": "Pape, R. A. (2005). Soft Balancing against the United States. International "
    "Security 30(1): 7-45.",
    "Paul 2005": "Paul, T. V. (2005). Soft Balancing in the Age of U.S. Primacy. International "
    "Security 30(1): 46-71.",
    "Kennedy 1987": "Kennedy, P. (1987). The Rise and Fall of the Great Powers: Economic Change "
    "and Military Conflict from 1500 to 2000. New York: Random House.",
    "Singer et al. 1972": "Singer, J. D., Bremer, S. and Stuckey, J. (1972). Capability "
    "Distribution, Uncertainty, and Major Power War, 1820-1965. In B. Russett (ed.), Peace, "
    "War, and Numbers, 19-48. Beverly Hills: Sage.",
    "Boulding 1962": "Boulding, K. E. (1962). Conflict and Defense: A General Theory. New York: "
    "Harper.",
    "Harrison 1998": "Harrison, M. (ed.) (1998). The Economics of World War II: Six Great Powers "
    "in International Comparison. Cambridge: Cambridge University Press.",
    "Gilpin 1981": "Gilpin, R. (1981). War and Change in World Politics. Cambridge: Cambridge "
    "University Press.",
    "Schweller 1994": "Schweller, R. L. (1994). Bandwagoning for Profit: Bringing the "
    "Revisionist State Back In. International Security 19(1), 72-107.",
    "Organski 1958": "Organski, A. F. K. (1958). World Politics. New York: Knopf.",
    "Modelski 1987": "Modelski, G. (1987). Long Cycles in World Politics. Seattle: University of "
    "Washington Press.",
    "Waltz 1979": "Waltz, K. N. (1979). Theory of International Politics. Reading, MA: "
    "Addison-Wesley.",
    "Taagepera et al. 1975": "Taagepera, R., Shiffler, G. M., Perkins, R. T. and Wagner, D. L. "
    "(1975). Soviet-American and Israeli-Arab Arms Races and the Richardson Model. General "
    "Systems 20: 151-158.",
    "Sandler and Hartley 1999": "Sandler, T. and Hartley, K. (1999). The Political Economy "
    "of NATO: Past, Present, and into the 21st Century. Cambridge: Cambridge University "
    "Press.",
    "Wohlforth 1999": "Wohlforth, W. C. (1999). The Stability of a Unipolar World. "
    "International Security 24(1): 5-41.",
    "Waltz 2000": "Waltz, K. N. (2000). Structural Realism after the Cold War. International "
    "Security 25(1): 5-41.",
    "Layne 1993": "Layne, C. (1993). The Unipolar Illusion: Why New Great Powers Will Rise. "
    "International Security 17(4): 5-51.",
    "Sterman 2000": "Sterman, J. D. (2000). Business Dynamics: Systems Thinking and Modeling "
    "for a Complex World. Boston: Irwin/McGraw-Hill.",
    "Jervis 1976": "Jervis, R. (1976). Perception and Misperception in International "
    "Politics. Princeton: Princeton University Press.",
    "Glaser and Kaufmann 1998": "Glaser, C. L. and Kaufmann, C. (1998). What Is the "
    "Offense-Defense Balance and Can We Measure It? International Security 22(4): 44-82.",
    "Murdoch and Sandler 1984": "Murdoch, J. C. and Sandler, T. (1984). Complementarity, Free "
    "Riding, and the Military Expenditures of NATO Allies. Journal of Public Economics "
    "25(1-2): 83-101.",
    "Brooks and Wohlforth 2008": "Brooks, S. G. and Wohlforth, W. C. (2008). World Out of "
    "Balance: International Relations and the Challenge of American Primacy. Princeton: "
    "Princeton University Press.",
    "Waltz 1964": "Waltz, K. N. (1964). The Stability of a Bipolar World. Daedalus 93(3): "
    "881-909.",
    "Deutsch and Singer 1964": "Deutsch, K. W. and Singer, J. D. (1964). Multipolar Power "
    "Systems and International Stability. World Politics 16(3): 390-406.",
    "Kaplan and Meier 1958": "Kaplan, E. L. and Meier, P. (1958). Nonparametric Estimation "
    "from Incomplete Observations. Journal of the American Statistical Association 53(282): "
    "457-481.",
    "Mantel 1966": "Mantel, N. (1966). Evaluation of Survival Data and Two New Rank Order "
    "Statistics Arising in Its Consideration. Cancer Chemotherapy Reports 50(3): 163-170.",
    "Brookmeyer and Crowley 1982": "Brookmeyer, R. and Crowley, J. (1982). A Confidence "
    "Interval for the Median Survival Time. Biometrics 38(1): 29-41.",
}


#: the package's own works (a researcher's mechanism may add more at run time)
PACKAGE_WORKS = frozenset(REFERENCES)


def add_references(works: Mapping[str, str]) -> None:
    """Make works citable by key.

    Parameters
    ----------
    works : mapping
        Key -> full reference; a key already given another text raises.
    """
    for key, text in works.items():
        if REFERENCES.get(key, text) != text:
            raise ValueError(f"reference {key!r} is already defined as {REFERENCES[key]!r}")
        REFERENCES[key] = text
